import type { RunnableConfig } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import type { z } from 'zod';
import type { ConsentGrant } from '../../consent/consent-hooks';
import type { ConsentService } from '../../consent/consent.service';
import { type ToolContext, toolContext } from './agent-tool';

export interface GatedToolSpec<S extends z.ZodObject> {
  name: string;
  description: string;
  schema: S;
  /** Said to the model when the call has no valid consent token (never approved, used, expired, other arguments). */
  refusal: string;
}

/** The grants a resumed run carries (AgentService puts them in `configurable.consent_grants`). */
export function consentGrants(config: RunnableConfig | undefined): ConsentGrant[] {
  const grants = (config?.configurable as { consent_grants?: unknown } | undefined)?.consent_grants;
  return Array.isArray(grants) ? (grants as ConsentGrant[]) : [];
}

/**
 * The skeleton of every consent-gated tool: before acting, it redeems the single-use token the
 * decision issued for exactly this tool call (request, tool call id, tool, final arguments).
 * No token, a used or expired one, or one issued for other arguments: it does not act.
 */
export function gatedTool<S extends z.ZodObject>(
  consents: ConsentService,
  spec: GatedToolSpec<S>,
  act: (args: z.infer<S>, context: ToolContext) => Promise<string>,
) {
  return tool(
    async (args: z.infer<S>, config?: RunnableConfig) => {
      const context = toolContext(config);
      const callId = (config as { toolCall?: { id?: string } } | undefined)?.toolCall?.id ?? null;
      const grant = consentGrants(config).find((candidate) => candidate.tool === spec.name && (candidate.tool_call_id ?? null) === callId);
      const allowed =
        grant !== undefined &&
        (await consents.consumeApproval(context.userId, grant.token, {
          consentRequestId: grant.consent_request_id,
          toolCallId: grant.tool_call_id,
          tool: spec.name,
          args: args as Record<string, unknown>,
        }));
      if (!allowed) return spec.refusal;
      return act(args, context);
    },
    { name: spec.name, description: spec.description, schema: spec.schema },
  );
}
