import { Injectable } from '@nestjs/common';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { type AgentTool, toolContext } from './agent-tool';
import { ConversationSearchRepository } from './conversation-search.repository';

/** Full-text search over the caller's own messages (never another user's). */
@Injectable()
export class SearchConversationsTool implements AgentTool {
  readonly name = 'search_conversations';
  readonly sensitive = false;

  constructor(private readonly messages: ConversationSearchRepository) {}

  build() {
    return tool(
      async ({ query, limit }, config) => {
        const hits = await this.messages.search(toolContext(config).userId, query, limit ?? 5);
        return hits.length ? JSON.stringify(hits) : `No messages match "${query}".`;
      },
      {
        name: this.name,
        description: "Searches the user's own past conversations (full text) and returns matching message snippets.",
        schema: z.object({ query: z.string().min(1).max(200), limit: z.number().int().min(1).max(20).optional() }),
      },
    );
  }
}
