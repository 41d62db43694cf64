import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { preparedQuery } from '../../database/prepared-query';
import type { StoredToolCall, StoredToolResult, TokenUsage } from '../agent/agent.types';
import type { MessageStatus } from './message.entity';
import type { ReplyEvent } from './reply-event';

export interface ReplyProgress {
  conversationId: string;
  messageId: string;
  /** Events not yet stored (may be empty). */
  events: ReplyEvent[];
  lastSeq: number;
  /** The reply's last write: also gives the conversation back (as ConversationsRepository.releaseReply). */
  release?: boolean;
  message: {
    content: string;
    toolCalls: StoredToolCall[];
    results: StoredToolResult[];
    status: MessageStatus;
    usage: TokenUsage;
    error: { code: string; message: string } | null;
  };
}

/**
 * Stores a running reply's progress in ONE round trip (a streamed reply flushes several
 * times a second): its new events (one message_event_batches row), the assistant message, and
 * the conversation's heartbeat.
 * Answers whether this reply still holds the conversation and whether a cancel was asked.
 */
@Injectable()
export class ReplyProgressRepository {
  constructor(private readonly dataSource: DataSource) {}

  async save(progress: ReplyProgress): Promise<{ held: boolean; cancelRequested: boolean }> {
    const { events, message } = progress;
    // All new events go in one row (one per flush). A retried flush resends its events plus any
    // newer ones from the same first id, so a conflict on that id takes the longer batch; only
    // the reply holding the conversation writes events. Prepared: every reply runs it a few times.
    const rows = await preparedQuery<{ cancel_requested: boolean }>(
      this.dataSource,
      'reply_progress_save',
      `WITH new_events AS (
         INSERT INTO message_event_batches (conversation_id, first_seq, last_seq, message_id, events)
         SELECT $1, $3, $4, $2, $5::jsonb
          WHERE $5::jsonb IS NOT NULL AND EXISTS (SELECT 1 FROM conversations WHERE id = $1 AND active_reply_id = $2)
         ON CONFLICT (conversation_id, first_seq) DO UPDATE SET last_seq = EXCLUDED.last_seq, events = EXCLUDED.events
          WHERE message_event_batches.message_id = EXCLUDED.message_id AND message_event_batches.last_seq < EXCLUDED.last_seq
       ), message AS (
         UPDATE messages SET content = $6, tool_calls = $7::jsonb, results = $8::jsonb, status = $9,
                usage = $10::jsonb, error = $11::jsonb, updated_at = now()
          WHERE id = $2
       )
       UPDATE conversations SET event_seq = GREATEST(event_seq, $12),
              reply_heartbeat_at = CASE WHEN $13::boolean THEN NULL ELSE now() END,
              active_reply_id = CASE WHEN $13::boolean THEN NULL ELSE active_reply_id END,
              cancel_requested_at = CASE WHEN $13::boolean THEN NULL ELSE cancel_requested_at END,
              updated_at = CASE WHEN $13::boolean THEN now() ELSE updated_at END
        WHERE id = $1 AND active_reply_id = $2
       RETURNING cancel_requested_at IS NOT NULL AS cancel_requested`,
      [
        progress.conversationId,
        progress.messageId,
        events[0]?.id ?? null,
        events.at(-1)?.id ?? null,
        events.length ? JSON.stringify(events.map((event) => ({ seq: event.id, type: event.type, data: event.data }))) : null,
        message.content,
        JSON.stringify(message.toolCalls),
        JSON.stringify(message.results),
        message.status,
        JSON.stringify(message.usage),
        message.error === null ? null : JSON.stringify(message.error),
        progress.lastSeq,
        progress.release === true,
      ],
    );
    const [row] = rows;
    return { held: row !== undefined, cancelRequested: row?.cancel_requested ?? false };
  }
}
