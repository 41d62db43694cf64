import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { returnedRows } from '../../database/pg-errors';
import { IdempotencyKey } from './idempotency-key.entity';

export interface ClaimInput {
  userId: string;
  scope: string;
  key: string;
  requestHash: string;
  ttlSeconds: number;
  /** A `processing` row older than this belongs to a request whose instance died: retake it. */
  staleSeconds: number;
}

@Injectable()
export class IdempotencyRepository {
  constructor(@InjectRepository(IdempotencyKey) private readonly keys: Repository<IdempotencyKey>) {}

  /**
   * Inserts the key as `processing`, or takes over an expired row (or a stale one for the same
   * request). Answers the new row's id, or null when another request holds the key.
   */
  async claim(input: ClaimInput): Promise<string | null> {
    const rows: Array<{ id: string }> = await this.keys.query(
      `INSERT INTO idempotency_keys (user_id, scope, key, request_hash, state, expires_at)
       VALUES ($1, $2, $3, $4, 'processing', now() + make_interval(secs => $5))
       ON CONFLICT ON CONSTRAINT idempotency_keys_user_scope_key DO UPDATE
         SET request_hash = EXCLUDED.request_hash, state = 'processing', response_status = NULL, response_body = NULL,
             created_at = now(), updated_at = now(), expires_at = EXCLUDED.expires_at
         WHERE idempotency_keys.expires_at <= now()
            OR (idempotency_keys.state = 'processing'
                AND idempotency_keys.updated_at < now() - make_interval(secs => $6)
                AND idempotency_keys.request_hash = EXCLUDED.request_hash)
       RETURNING id`,
      [input.userId, input.scope, input.key, input.requestHash, input.ttlSeconds, input.staleSeconds],
    );
    return rows[0]?.id ?? null;
  }

  find(userId: string, scope: string, key: string): Promise<IdempotencyKey | null> {
    return this.keys.findOneBy({ userId, scope, key });
  }

  /** Stores the response for replay; only the request holding the key may. */
  async complete(id: string, userId: string, status: number, body: unknown): Promise<boolean> {
    return this.settle(id, userId, 'completed', status, body);
  }

  /** Records the streamed reply a replay re-attaches to. */
  async streaming(id: string, userId: string, reference: Record<string, unknown>): Promise<boolean> {
    return this.settle(id, userId, 'streaming', 200, reference);
  }

  /** Forgets a key whose request failed, so a retry runs it again. */
  async release(id: string, userId: string): Promise<void> {
    await this.keys.query(`DELETE FROM idempotency_keys WHERE id = $1 AND user_id = $2 AND state = 'processing'`, [id, userId]);
  }

  /** Deletes up to `batch` expired keys; answers how many. */
  async deleteExpired(batch: number): Promise<number> {
    const result = await this.keys.query(
      `DELETE FROM idempotency_keys WHERE id IN (SELECT id FROM idempotency_keys WHERE expires_at < now() LIMIT $1) RETURNING id`,
      [batch],
    );
    return returnedRows(result).length;
  }

  private async settle(id: string, userId: string, state: 'completed' | 'streaming', status: number, body: unknown): Promise<boolean> {
    const result = await this.keys.query(
      `UPDATE idempotency_keys SET state = $3, response_status = $4, response_body = $5, updated_at = now()
       WHERE id = $1 AND user_id = $2 AND state = 'processing' RETURNING id`,
      [id, userId, state, status, JSON.stringify(body ?? null)],
    );
    return returnedRows(result).length === 1;
  }
}
