import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { z } from 'zod';
import { ConsentService } from '../../consent/consent.service';
import { AGENT_TOOLS, type AgentTool } from './agent-tool';

/**
 * Lets Consent check edited arguments against the tool's own schema before a decision is
 * stored (Consent sits below the agent module and cannot see the tools). Unknown fields are
 * refused too: the tool would drop them, and then act with other arguments than approved.
 */
@Injectable()
export class ToolArgumentsValidator implements OnModuleInit {
  private readonly schemas = new Map<string, z.ZodType>();

  constructor(
    @Inject(AGENT_TOOLS) private readonly tools: AgentTool[],
    private readonly consents: ConsentService,
  ) {}

  onModuleInit(): void {
    for (const tool of this.tools.filter((candidate) => candidate.sensitive)) {
      const schema = tool.build().schema;
      if (schema instanceof z.ZodObject) this.schemas.set(tool.name, schema.strict());
    }
    this.consents.registerArgumentsValidator((tool, args) => this.validate(tool, args));
  }

  validate(tool: string, args: Record<string, unknown>): Record<string, string[]> | null {
    const schema = this.schemas.get(tool);
    if (!schema) return null;
    const result = schema.safeParse(args);
    if (result.success) return null;
    const errors: Record<string, string[]> = {};
    for (const issue of result.error.issues) {
      const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
      for (const path of paths) {
        const message = issue.code === 'unrecognized_keys' ? 'is not an argument of this tool' : issue.message;
        (errors[path.map(String).join('.')] ??= []).push(message);
      }
    }
    return errors;
  }
}
