import { Injectable } from '@nestjs/common';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import type { AgentTool } from './agent-tool';

@Injectable()
export class CurrentTimeTool implements AgentTool {
  readonly name = 'current_time';
  readonly sensitive = false;

  build() {
    return tool(
      ({ timezone }) => {
        const zone = timezone ?? 'UTC';
        try {
          const local = new Intl.DateTimeFormat('en-GB', { timeZone: zone, dateStyle: 'full', timeStyle: 'long' }).format(new Date());
          return `${local} (${new Date().toISOString()})`;
        } catch {
          return `Unknown time zone "${zone}". Current UTC time: ${new Date().toISOString()}`;
        }
      },
      {
        name: this.name,
        description: 'Current date and time, optionally in an IANA time zone such as Europe/Paris.',
        schema: z.object({ timezone: z.string().max(64).optional().describe('IANA time zone, default UTC') }),
      },
    );
  }
}
