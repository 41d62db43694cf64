import { Injectable } from '@nestjs/common';
import { tool } from '@langchain/core/tools';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { type AgentTool, toolContext } from './agent-tool';

/** Full-text search over the caller's own messages (never another user's). */
@Injectable()
export class SearchConversationsTool implements AgentTool {
  readonly name = 'search_conversations';
  readonly sensitive = false;

  constructor(private readonly dataSource: DataSource) {}

  build() {
    return tool(
      async ({ query, limit }, config) => {
        const { userId } = toolContext(config);
        const rows: Array<{ conversation_id: string; title: string; role: string; snippet: string; created_at: Date }> =
          await this.dataSource.query(
            `SELECT m.conversation_id, c.title, m.role, left(m.content, 300) AS snippet, m.created_at
               FROM messages m JOIN conversations c ON c.id = m.conversation_id
              WHERE m.user_id = $1 AND c.user_id = $1 AND m.search @@ websearch_to_tsquery('simple', $2)
              ORDER BY ts_rank(m.search, websearch_to_tsquery('simple', $2)) DESC, m.created_at DESC
              LIMIT $3`,
            [userId, query, limit ?? 5],
          );
        if (!rows.length) return `No messages match "${query}".`;
        return JSON.stringify(rows.map((row) => ({ ...row, created_at: new Date(row.created_at).toISOString() })));
      },
      {
        name: this.name,
        description: "Searches the user's own past conversations (full text) and returns matching message snippets.",
        schema: z.object({ query: z.string().min(1).max(200), limit: z.number().int().min(1).max(20).optional() }),
      },
    );
  }
}
