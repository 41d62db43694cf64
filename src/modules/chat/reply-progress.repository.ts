import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { returnedRows } from '../../database/pg-errors';
import type { StoredToolCall, StoredToolResult, TokenUsage } from '../agent/agent.types';
import type { MessageStatus } from './message.entity';
import type { ReplyEvent } from './reply-event';

export interface ReplyProgress {
  conversationId: string;
  messageId: string;
  /** Events not yet stored (may be empty). */
  events: ReplyEvent[];
  lastSeq: number;
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
 * times a second): its new events, the assistant message, and the conversation's heartbeat.
 * Answers whether this reply still holds the conversation and whether a cancel was asked.
 */
@Injectable()
export class ReplyProgressRepository {
  constructor(private readonly dataSource: DataSource) {}

  async save(progress: ReplyProgress): Promise<{ held: boolean; cancelRequested: boolean }> {
    const { events, message } = progress;
    // An UPDATE ... RETURNING comes back from TypeORM as [rows, count]: returnedRows unwraps it.
    const rows = returnedRows<{ cancel_requested: boolean }>(await this.dataSource.query(
      `WITH new_events AS (
         INSERT INTO message_events (conversation_id, seq, message_id, type, data)
         SELECT $1, e.seq, $2, e.type, e.data::jsonb
           FROM unnest($3::bigint[], $4::text[], $5::text[]) AS e(seq, type, data)
         ON CONFLICT (conversation_id, seq) DO NOTHING
       ), message AS (
         UPDATE messages SET content = $6, tool_calls = $7::jsonb, results = $8::jsonb, status = $9,
                usage = $10::jsonb, error = $11::jsonb, updated_at = now()
          WHERE id = $2
       )
       UPDATE conversations SET reply_heartbeat_at = now(), event_seq = GREATEST(event_seq, $12)
        WHERE id = $1 AND active_reply_id = $2
       RETURNING cancel_requested_at IS NOT NULL AS cancel_requested`,
      [
        progress.conversationId,
        progress.messageId,
        events.map((event) => event.id),
        events.map((event) => event.type),
        events.map((event) => JSON.stringify(event.data)),
        message.content,
        JSON.stringify(message.toolCalls),
        JSON.stringify(message.results),
        message.status,
        JSON.stringify(message.usage),
        message.error === null ? null : JSON.stringify(message.error),
        progress.lastSeq,
      ],
    ));
    const [row] = rows;
    return { held: row !== undefined, cancelRequested: row?.cancel_requested ?? false };
  }
}
