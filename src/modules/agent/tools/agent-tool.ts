import type { StructuredToolInterface } from '@langchain/core/tools';
import type { RunnableConfig } from '@langchain/core/runnables';

/** A tool the agent can call. Sensitive tools pause for a person's consent before they run. */
export interface AgentTool {
  readonly name: string;
  readonly sensitive: boolean;
  /** One line shown to the person deciding, for sensitive tools. */
  readonly consentDescription?: string;
  build(): StructuredToolInterface;
}

/** Who the agent is working for, passed in each run's `configurable`. */
export interface ToolContext {
  userId: string;
  conversationId: string;
}

export function toolContext(config: RunnableConfig | undefined): ToolContext {
  const configurable = (config?.configurable ?? {}) as { user_id?: unknown; thread_id?: unknown };
  if (typeof configurable.user_id !== 'string' || typeof configurable.thread_id !== 'string') {
    throw new Error('tool called outside a user conversation');
  }
  // Run threads are `<run id>:<attempt>:<turn>`: their consent tokens are scoped to the run.
  return { userId: configurable.user_id, conversationId: configurable.thread_id.split(':')[0] };
}

export const AGENT_TOOLS = Symbol('AGENT_TOOLS');
