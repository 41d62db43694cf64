import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ReplyEvent } from './reply-event';

/**
 * The persisted event log of replies: what re-attach replays once a reply is not live here.
 * Stored one row per flush (message_event_batches: a jsonb array of events), read back as
 * individual events in id order.
 */
@Injectable()
export class MessageEventsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async after(conversationId: string, afterSeq: number, limit = 5000): Promise<ReplyEvent[]> {
    const rows: Array<{ seq: string; message_id: string; type: ReplyEvent['type']; data: ReplyEvent['data'] }> =
      await this.dataSource.query(
        `SELECT e.seq, b.message_id, e.type, e.data
           FROM message_event_batches b
          CROSS JOIN LATERAL jsonb_to_recordset(b.events) AS e(seq bigint, type text, data jsonb)
          WHERE b.conversation_id = $1 AND b.last_seq > $2 AND e.seq > $2
          ORDER BY e.seq LIMIT $3`,
        [conversationId, afterSeq, limit],
      );
    // Stored by ReplyProgressRepository from ReplyEvents: type and data agree.
    return rows.map((row) => ({ id: Number(row.seq), messageId: row.message_id, type: row.type, data: row.data }) as ReplyEvent);
  }

  async firstOf(conversationId: string, messageId: string): Promise<number | null> {
    const [row] = await this.dataSource.query(
      `SELECT min(first_seq) AS seq FROM message_event_batches WHERE conversation_id = $1 AND message_id = $2`,
      [conversationId, messageId],
    );
    return row?.seq == null ? null : Number(row.seq);
  }
}
