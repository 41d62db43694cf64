import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { returnedRows } from '../../database/pg-errors';
import { ConsentAction, ConsentDecision, ConsentRequest, ConsentStatus } from './consent-request.entity';
import { ConsentToken } from './consent-token.entity';

@Injectable()
export class ConsentRepository {
  constructor(
    @InjectRepository(ConsentRequest) private readonly requests: Repository<ConsentRequest>,
    @InjectRepository(ConsentToken) private readonly tokens: Repository<ConsentToken>,
  ) {}

  create(
    request: { userId: string; actions: ConsentAction[]; expiresAt: Date } & ({ conversationId: string; messageId: string } | { runId: string }),
  ): Promise<ConsentRequest> {
    return this.requests.save(this.requests.create({ ...request, status: 'pending' }));
  }

  findOwned(id: string, userId: string): Promise<ConsentRequest | null> {
    return this.requests.findOneBy({ id, userId });
  }

  findPending(conversationId: string, userId: string): Promise<ConsentRequest | null> {
    return this.requests.findOneBy({ conversationId, userId, status: 'pending' });
  }

  list(userId: string, query: { status?: ConsentStatus; limit: number; offset: number }): Promise<[ConsentRequest[], number]> {
    return this.requests.findAndCount({
      where: query.status ? { userId, status: query.status } : { userId },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: query.limit,
      skip: query.offset,
    });
  }

  /**
   * Records a decision if, and only if, the request is still pending and not expired: one
   * conditional UPDATE, so two deciders (tabs, instances) cannot both win.
   */
  async decide(
    id: string,
    userId: string,
    decision: { status: ConsentStatus; decisions: ConsentDecision[]; reason: string | null; decidedBy: string },
  ): Promise<ConsentRequest | null> {
    const rows = returnedRows<{ id: string }>(
      await this.requests.query(
        `UPDATE consent_requests SET status = $3, decisions = $4::jsonb, reason = $5, decided_by = $6, decided_at = now()
          WHERE id = $1 AND user_id = $2 AND status = 'pending' AND expires_at > now()
          RETURNING id`,
        [id, userId, decision.status, JSON.stringify(decision.decisions), decision.reason, decision.decidedBy],
      ),
    );
    return rows.length ? this.findOwned(id, userId) : null;
  }

  /** Claims up to `limit` expired pending requests (each exactly once, across instances). */
  async expireDue(limit: number): Promise<ConsentRequest[]> {
    const rows = returnedRows<{ id: string }>(await this.requests.query(
      `UPDATE consent_requests SET status = 'expired', reason = 'Consent request expired', decided_at = now()
        WHERE id IN (SELECT id FROM consent_requests WHERE status = 'pending' AND expires_at <= now()
                     ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [limit],
    ));
    return rows.length ? this.requests.findBy(rows.map(({ id }) => ({ id }))) : [];
  }

  async insertTokens(tokens: Array<Pick<ConsentToken, 'consentRequestId' | 'userId' | 'conversationId' | 'tokenHash' | 'actionHash' | 'expiresAt'>>): Promise<void> {
    if (tokens.length) await this.tokens.insert(tokens);
  }

  /**
   * Spends one unused token for exactly this action in this conversation. Returns false when
   * there is none (never approved, already used, or expired): the tool must not act.
   */
  async consumeToken(conversationId: string, userId: string, hash: string): Promise<boolean> {
    const rows = returnedRows<{ id: string }>(await this.tokens.query(
      `UPDATE consent_tokens SET used_at = now()
        WHERE id = (SELECT id FROM consent_tokens
                     WHERE conversation_id = $1 AND user_id = $2 AND action_hash = $3
                       AND used_at IS NULL AND expires_at > now()
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [conversationId, userId, hash],
    ));
    return rows.length > 0;
  }
}
