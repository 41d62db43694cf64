import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { preparedQuery } from '../../database/prepared-query';
import type { TokenReservation } from '../agent/usage.service';
import { INTERRUPTED_ERROR } from './messages.repository';

export interface ReplyStartRequest {
  userId: string;
  conversationId: string;
  /** The assistant message's id, chosen before: it is the conversation's claim. */
  replyId: string;
  /** The user's message. */
  content: string;
  /**
   * `model`: the reply's model when already chosen (checked); null: the conversation's, else the
   * user's default_model, either while in `offered`, else `serverDefault`.
   */
  models: { model: string | null; offered: string[]; serverDefault: string };
  staleSeconds: number;
  maxActive: number;
  /** The tokens to reserve against the daily budget (UsageService.reservationFor); null: reserved already. */
  reservation: TokenReservation | null;
}

export type ReplyStartOutcome =
  | { outcome: 'started'; eventSeq: number; model: string; abandonedReplyId: string | null; reservedTokens: number }
  | { outcome: 'budget'; limit: number; used: number }
  | { outcome: 'consent'; consentRequestId: string }
  | { outcome: 'not_found' | 'limit' | 'busy' };

/**
 * Starting a reply in one round trip: the start_reply function (migrations 1764000007500 and
 * 1764000007700) reserves the reply's tokens (the daily budget, checked first), checks
 * ownership, a pending consent request (read from the consent table, which only this check
 * shares), the per-user limit of live replies and the conversation's claim, then stores the
 * claim and both messages; a refusal stores and reserves nothing.
 */
@Injectable()
export class ReplyStartRepository {
  constructor(private readonly dataSource: DataSource) {}

  async start(request: ReplyStartRequest): Promise<ReplyStartOutcome> {
    const { models } = request;
    // Prepared: it runs once per message.
    const [row] = await preparedQuery<StartReplyRow>(
      this.dataSource,
      'start_reply',
      `SELECT outcome, event_seq, abandoned_reply_id, model, consent_request_id, reserved, budget_limit, budget_used
         FROM start_reply($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        request.userId,
        request.conversationId,
        request.replyId,
        request.content,
        models.model,
        models.offered,
        models.serverDefault,
        request.staleSeconds,
        request.maxActive,
        INTERRUPTED_ERROR,
        request.reservation?.tokens ?? null,
        request.reservation?.defaultLimit ?? null,
      ],
    );
    if (row.outcome === 'started') {
      return { outcome: 'started', eventSeq: Number(row.event_seq), model: row.model!, abandonedReplyId: row.abandoned_reply_id, reservedTokens: Number(row.reserved) };
    }
    if (row.outcome === 'budget') return { outcome: 'budget', limit: Number(row.budget_limit), used: Number(row.budget_used) };
    if (row.outcome === 'consent') return { outcome: 'consent', consentRequestId: row.consent_request_id! };
    return { outcome: row.outcome };
  }
}

interface StartReplyRow {
  outcome: ReplyStartOutcome['outcome'];
  event_seq: string | null;
  abandoned_reply_id: string | null;
  model: string | null;
  consent_request_id: string | null;
  reserved: string;
  budget_limit: string | null;
  budget_used: string | null;
}
