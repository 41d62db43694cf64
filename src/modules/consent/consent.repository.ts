import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { returnedRows } from '../../database/pg-errors';
import { ConsentAction, ConsentDecision, ConsentRequest, ConsentStatus } from './consent-request.entity';
import { ConsentToken } from './consent-token.entity';

export type NewConsentToken = Pick<ConsentToken, 'userId' | 'conversationId' | 'tokenHash' | 'tokenSealed' | 'actionHash' | 'toolCallId' | 'expiresAt'>;

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

  findPendingForRun(runId: string, userId: string): Promise<ConsentRequest | null> {
    return this.requests.findOneBy({ runId, userId, status: 'pending' });
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
   * Records a decision and its tokens if, and only if, the request is still pending and not
   * expired: one transaction around one conditional UPDATE, so two deciders (tabs, instances)
   * cannot both win, and a decision never exists without its tokens.
   */
  async decide(
    id: string,
    userId: string,
    decision: { status: ConsentStatus; decisions: ConsentDecision[]; reason: string | null; decidedBy: string },
    tokens: NewConsentToken[],
  ): Promise<ConsentRequest | null> {
    const won = await this.requests.manager.transaction(async (manager) => {
      const rows = returnedRows<{ id: string }>(
        await manager.query(
          `UPDATE consent_requests SET status = $3, decisions = $4::jsonb, reason = $5, decided_by = $6, decided_at = now()
            WHERE id = $1 AND user_id = $2 AND status = 'pending' AND expires_at > now()
            RETURNING id`,
          [id, userId, decision.status, JSON.stringify(decision.decisions), decision.reason, decision.decidedBy],
        ),
      );
      if (!rows.length) return false;
      if (tokens.length) await manager.insert(ConsentToken, tokens.map((token) => ({ ...token, consentRequestId: id })));
      return true;
    });
    return won ? this.findOwned(id, userId) : null;
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

  /**
   * Claims up to `limit` decided requests whose resume never started, decided more than
   * `graceSeconds` ago and not claimed by another sweep within that time (each claim goes to
   * exactly one instance; a claimer that dies leaves it to the next sweep after the grace).
   */
  async claimUnresumed(graceSeconds: number, limit: number): Promise<ConsentRequest[]> {
    const rows = returnedRows<{ id: string }>(await this.requests.query(
      `UPDATE consent_requests SET resume_claimed_at = now()
        WHERE id IN (SELECT id FROM consent_requests
                      WHERE status <> 'pending' AND resumed_at IS NULL
                        AND decided_at <= now() - make_interval(secs => $1)
                        AND (resume_claimed_at IS NULL OR resume_claimed_at <= now() - make_interval(secs => $1))
                      ORDER BY decided_at LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [graceSeconds, limit],
    ));
    return rows.length ? this.requests.findBy(rows.map(({ id }) => ({ id }))) : [];
  }

  /** The continuation has started: the sweep leaves this request alone from now on. */
  async markResumed(id: string): Promise<void> {
    await this.requests.query(`UPDATE consent_requests SET resumed_at = now() WHERE id = $1 AND resumed_at IS NULL`, [id]);
  }

  /** A request's tokens that can still be redeemed (unused, not expired). */
  unusedTokens(consentRequestId: string, userId: string): Promise<ConsentToken[]> {
    return this.tokens
      .createQueryBuilder('token')
      .where('token.consent_request_id = :consentRequestId AND token.user_id = :userId', { consentRequestId, userId })
      .andWhere('token.used_at IS NULL AND token.expires_at > now()')
      .orderBy('token.created_at')
      .getMany();
  }

  /**
   * Spends exactly this token, if it is bound to exactly this action (request, tool call, tool,
   * arguments), unused and unexpired: one conditional UPDATE, so it acts at most once.
   */
  async redeemToken(tokenHash: string, userId: string, actionHash: string): Promise<boolean> {
    const rows = returnedRows<{ id: string }>(await this.tokens.query(
      `UPDATE consent_tokens SET used_at = now()
        WHERE token_hash = $1 AND user_id = $2 AND action_hash = $3 AND used_at IS NULL AND expires_at > now()
        RETURNING id`,
      [tokenHash, userId, actionHash],
    ));
    return rows.length > 0;
  }
}
