import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppMetrics } from '../metrics/app-metrics';
import { IdempotencyRepository } from './idempotency.repository';

/** Keys replay for 24 h (IETF Idempotency-Key draft; DESIGN.md section 4). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** Longer than any request may run (model calls are bounded by LLM_TIMEOUT_MS, per call). */
const PROCESSING_STALE_SECONDS = 15 * 60;
const CLAIM_ATTEMPTS = 3;

export type Begin =
  | { kind: 'run'; id: string }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'reattach'; reference: Record<string, unknown> };

@Injectable()
export class IdempotencyService {
  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly metrics: AppMetrics,
  ) {}

  /** Claims the key for this request, or says how to answer a repeat of an earlier one. */
  async begin(userId: string, scope: string, key: string, fingerprint: unknown): Promise<Begin> {
    const requestHash = hashOf(fingerprint);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const id = await this.keys.claim({ userId, scope, key, requestHash, ttlSeconds: IDEMPOTENCY_TTL_SECONDS, staleSeconds: PROCESSING_STALE_SECONDS });
      if (id) return { kind: 'run', id };
      const existing = await this.keys.find(userId, scope, key);
      // Released by its request between the two statements: claim again.
      if (!existing) continue;
      if (existing.requestHash !== requestHash) {
        this.metrics.idempotentReplays.inc({ outcome: 'reused' });
        throw new AppException(ErrorCode.IdempotencyKeyReused, 'This Idempotency-Key was used with a different request body');
      }
      if (existing.state === 'processing') {
        this.metrics.idempotentReplays.inc({ outcome: 'conflict' });
        throw new AppException(ErrorCode.Conflict, 'A request with this Idempotency-Key is still being processed');
      }
      if (existing.state === 'streaming') {
        this.metrics.idempotentReplays.inc({ outcome: 'reattached' });
        return { kind: 'reattach', reference: existing.responseBody as Record<string, unknown> };
      }
      this.metrics.idempotentReplays.inc({ outcome: 'replayed' });
      return { kind: 'replay', status: existing.responseStatus ?? 200, body: existing.responseBody };
    }
    throw new AppException(ErrorCode.Conflict, 'A request with this Idempotency-Key is still being processed');
  }

  /** A 2xx response is kept for replay; anything else frees the key so the client can retry. */
  async finish(id: string, userId: string, status: number, body: unknown): Promise<void> {
    if (status >= 200 && status < 300) await this.keys.complete(id, userId, status, body);
    else await this.keys.release(id, userId);
  }

  async streaming(id: string, userId: string, reference: Record<string, unknown>): Promise<void> {
    await this.keys.streaming(id, userId, reference);
  }

  release(id: string, userId: string): Promise<void> {
    return this.keys.release(id, userId);
  }
}

/** sha256 of canonical JSON (keys sorted), so key order in a retried body does not matter. */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
