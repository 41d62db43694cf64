import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
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
}

export type ReplyStartOutcome =
  | { outcome: 'started'; eventSeq: number; model: string; abandonedReplyId: string | null }
  | { outcome: 'consent'; consentRequestId: string }
  | { outcome: 'not_found' | 'limit' | 'busy' };

/**
 * Starting a reply in one round trip: the start_reply function (migration 1764000007500) checks
 * ownership, a pending consent request (read from the consent table, which only this check
 * shares), the per-user limit of live replies and the conversation's claim, then stores the
 * claim and both messages; a refusal stores nothing.
 */
@Injectable()
export class ReplyStartRepository {
  constructor(private readonly dataSource: DataSource) {}

  async start(request: ReplyStartRequest): Promise<ReplyStartOutcome> {
    const { models } = request;
    const [row] = await this.dataSource.query<StartReplyRow[]>(
      `SELECT outcome, event_seq, abandoned_reply_id, model, consent_request_id
         FROM start_reply($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
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
      ],
    );
    if (row.outcome === 'started') {
      return { outcome: 'started', eventSeq: Number(row.event_seq), model: row.model!, abandonedReplyId: row.abandoned_reply_id };
    }
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
}
