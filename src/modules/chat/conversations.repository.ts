import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { returnedRows } from '../../database/pg-errors';
import { preparedQuery } from '../../database/prepared-query';
import { Conversation } from './conversation.entity';

/** One row of the conversation list: only what the list answers, dates already ISO 8601 (UTC, ms). */
export interface ConversationSummary {
  id: string;
  title: string;
  model: string | null;
  replying: boolean;
  createdAt: string;
  updatedAt: string;
  messageCount: number;
  lastMessagePreview: string | null;
}

export interface ReplyClaim {
  eventSeq: number;
  /** A reply that was running on an instance that stopped beating: it is now interrupted. */
  abandonedReplyId: string | null;
}

@Injectable()
export class ConversationsRepository {
  constructor(@InjectRepository(Conversation) private readonly conversations: Repository<Conversation>) {}

  create(data: { userId: string; title: string; model: string | null }): Promise<Conversation> {
    return this.conversations.save(this.conversations.create(data));
  }

  /**
   * Creates a conversation unless the user already has `max`; null when they do. The count and
   * the insert run under a per-user advisory lock, so concurrent creates (other tabs, other
   * instances) cannot overshoot.
   */
  createWithinLimit(data: { userId: string; title: string; model: string | null }, max: number): Promise<Conversation | null> {
    return this.conversations.manager.transaction(async (manager) => {
      await lockUser(manager, data.userId);
      const count = await manager.countBy(Conversation, { userId: data.userId });
      if (count >= max) return null;
      return manager.save(manager.create(Conversation, data));
    });
  }

  findOwned(id: string, userId: string): Promise<Conversation | null> {
    return this.conversations.findOneBy({ id, userId });
  }

  /**
   * One page of the user's conversations, most recent first, and the total. One round trip: the
   * page is cut first, so the message count and preview subqueries run for its rows only, and the
   * total rides along as a column (a second count runs only when the page is empty). Only the
   * listed columns are read, with the dates formatted by PostgreSQL: parsing five timestamps per
   * row into Dates and back to strings cost more in Node than the query did in PostgreSQL.
   * Without a search, the function conversation_page (migration 1764000007600) answers the same
   * rows: PostgreSQL keeps its plan instead of planning the query on every call, and the total
   * is the user's row of conversation_counts (kept by triggers) instead of a count.
   */
  async list(userId: string, query: { search?: string; limit: number; offset: number }): Promise<[ConversationSummary[], number]> {
    const { filter, params } = listFilter(userId, query.search);
    if (!query.search) {
      const rows = await preparedQuery<ConversationListRow>(this.conversations.manager.connection, 'conversation_page', CONVERSATION_PAGE_SQL, [
        userId,
        query.limit,
        query.offset,
      ]);
      return [rows.map(toSummary), rows.length > 0 ? rows[0].total : await this.count(filter, params)];
    }
    const limitParam = `$${params.length + 1}`;
    const sql = `WITH page AS (
         SELECT c.id, c.title, c.model, c.active_reply_id IS NOT NULL AS replying, c.created_at, c.updated_at
           FROM conversations c WHERE ${filter}
          ORDER BY c.updated_at DESC, c.id LIMIT ${limitParam} OFFSET $${params.length + 2})
       SELECT page.id, page.title, page.model, page.replying,
              ${isoUtc('page.created_at')} AS created_at, ${isoUtc('page.updated_at')} AS updated_at,
              (SELECT count(*) FROM messages m WHERE m.conversation_id = page.id)::int AS message_count,
              (SELECT left(m.content, 120) FROM messages m WHERE m.conversation_id = page.id
                ORDER BY m.created_at DESC, m.id DESC LIMIT 1) AS last_message_preview,
              (SELECT count(*) FROM conversations c WHERE ${filter})::int AS total
         FROM page
        ORDER BY page.updated_at DESC, page.id`;
    const rows = await this.conversations.query<ConversationListRow[]>(sql, [...params, query.limit, query.offset]);
    const total = rows.length > 0 ? rows[0].total : await this.count(filter, params);
    return [rows.map(toSummary), total];
  }

  private async count(filter: string, params: unknown[]): Promise<number> {
    const [{ total }] = await this.conversations.query<Array<{ total: number }>>(`SELECT count(*)::int AS total FROM conversations c WHERE ${filter}`, params);
    return total;
  }

  async update(id: string, userId: string, patch: { title?: string; model?: string | null }): Promise<Conversation | null> {
    const result = await this.conversations.update({ id, userId }, patch);
    return result.affected ? this.findOwned(id, userId) : null;
  }

  async delete(id: string, userId: string): Promise<boolean> {
    const result = await this.conversations.delete({ id, userId });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Takes the conversation for one reply: succeeds only when no reply is running, or the one
   * running stopped sending heartbeats (its instance died), in one conditional UPDATE.
   */
  async claimReply(id: string, userId: string, replyId: string, staleSeconds: number): Promise<ReplyClaim | null> {
    return this.claim(this.conversations.manager, id, userId, replyId, staleSeconds);
  }

  private async claim(manager: EntityManager, id: string, userId: string, replyId: string, staleSeconds: number): Promise<ReplyClaim | null> {
    const [row] = returnedRows<{ event_seq: string; abandoned: string | null }>(
      await manager.query(
        `UPDATE conversations c
            SET active_reply_id = $3, reply_heartbeat_at = now(), cancel_requested_at = NULL,
                last_message_at = now(), updated_at = now()
           FROM (SELECT id, active_reply_id FROM conversations WHERE id = $1 AND user_id = $2 FOR UPDATE) prev
          WHERE c.id = prev.id
            AND (c.active_reply_id IS NULL OR c.reply_heartbeat_at < now() - make_interval(secs => $4))
          RETURNING c.event_seq, prev.active_reply_id AS abandoned`,
        [id, userId, replyId, staleSeconds],
      ),
    );
    return row ? { eventSeq: Number(row.event_seq), abandonedReplyId: row.abandoned } : null;
  }

  async releaseReply(id: string, replyId: string, eventSeq: number): Promise<void> {
    await this.conversations.query(
      `UPDATE conversations SET active_reply_id = NULL, reply_heartbeat_at = NULL, cancel_requested_at = NULL,
              event_seq = GREATEST(event_seq, $3), updated_at = now()
        WHERE id = $1 AND active_reply_id = $2`,
      [id, replyId, eventSeq],
    );
  }

  /** Asks whichever instance runs the reply to stop (it checks at its next heartbeat). */
  async requestCancel(id: string, userId: string): Promise<string | null> {
    const [row] = returnedRows<{ active_reply_id: string }>(
      await this.conversations.query(
        `UPDATE conversations SET cancel_requested_at = now()
          WHERE id = $1 AND user_id = $2 AND active_reply_id IS NOT NULL RETURNING active_reply_id`,
        [id, userId],
      ),
    );
    return row?.active_reply_id ?? null;
  }
}

const CONVERSATION_PAGE_SQL = 'SELECT * FROM conversation_page($1, $2, $3)';

/** The owner filter, and the title/message search when there is one ($1 = the owner). */
function listFilter(userId: string, search?: string): { filter: string; params: unknown[] } {
  if (!search) return { filter: 'c.user_id = $1', params: [userId] };
  return {
    filter: `c.user_id = $1 AND (c.title ILIKE $2 OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
               AND to_tsvector('simple', m.content) @@ websearch_to_tsquery('simple', $3)))`,
    params: [userId, `%${search.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`, search],
  };
}

/** A timestamptz as `Date.prototype.toISOString()` writes it (UTC, milliseconds truncated, `Z`). */
const isoUtc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

interface ConversationListRow {
  id: string;
  title: string;
  model: string | null;
  replying: boolean;
  created_at: string;
  updated_at: string;
  message_count: number;
  last_message_preview: string | null;
  total: number;
}

function toSummary(row: ConversationListRow): ConversationSummary {
  return {
    id: row.id,
    title: row.title,
    model: row.model,
    replying: row.replying,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    messageCount: row.message_count,
    lastMessagePreview: row.last_message_preview,
  };
}

/** Serialises one user's quota checks until the transaction ends (start_reply takes the same lock). */
async function lockUser(manager: EntityManager, userId: string): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('conversations:user:' || $1, 0))`, [userId]);
}
