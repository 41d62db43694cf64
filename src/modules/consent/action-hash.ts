import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal arguments hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What a consent token is bound to: its request, the tool call, the tool and its final arguments. */
export interface BoundAction {
  consentRequestId: string;
  toolCallId: string | null;
  tool: string;
  args: Record<string, unknown>;
}

export function actionHash(action: BoundAction): string {
  return createHash('sha256')
    .update([action.consentRequestId, action.toolCallId ?? '', action.tool, canonicalJson(action.args)].join('\n'))
    .digest('hex');
}
