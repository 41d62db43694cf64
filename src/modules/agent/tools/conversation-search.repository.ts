import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface MessageHit {
  conversation_id: string;
  title: string;
  role: string;
  snippet: string;
  created_at: string;
}

/** Full-text search over one user's messages (GIN expression index messages_search_idx). */
@Injectable()
export class ConversationSearchRepository {
  constructor(private readonly dataSource: DataSource) {}

  async search(userId: string, query: string, limit: number): Promise<MessageHit[]> {
    const rows: Array<Omit<MessageHit, 'created_at'> & { created_at: Date }> = await this.dataSource.query(
      `SELECT m.conversation_id, c.title, m.role, left(m.content, 300) AS snippet, m.created_at
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.user_id = $1 AND c.user_id = $1 AND to_tsvector('simple', m.content) @@ websearch_to_tsquery('simple', $2)
        ORDER BY ts_rank(to_tsvector('simple', m.content), websearch_to_tsquery('simple', $2)) DESC, m.created_at DESC
        LIMIT $3`,
      [userId, query, limit],
    );
    return rows.map((row) => ({ ...row, created_at: new Date(row.created_at).toISOString() }));
  }
}
