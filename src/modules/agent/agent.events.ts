import type { StructuredToolInterface } from '@langchain/core/tools';
import type { ConsentGrant } from '../consent/consent-hooks';
import type { ConsentAction, ConsentDecision } from '../consent/consent-request.entity';
import type { StoredToolCall, StoredToolResult, TokenUsage } from './agent.types';

/** What an agent run produces, independent of LangGraph's stream shapes. */
export type AgentEvent =
  | { type: 'text'; content: string }
  | { type: 'tool_calls'; toolCalls: StoredToolCall[] }
  | { type: 'tool_result'; result: StoredToolResult }
  | { type: 'usage'; usage: TokenUsage }
  | { type: 'interrupt'; actions: ConsentAction[] };

/**
 * `attachments`: LangChain v1 content blocks (image, text) sent after the text. `grants`: the
 * consent tokens of the approved calls that will run; the gated tools redeem them.
 */
export type AgentInput =
  | { kind: 'message'; text: string; attachments?: Array<Record<string, unknown>> }
  | { kind: 'resume'; decisions: ConsentDecision[]; grants?: ConsentGrant[] };

export interface AgentRunContext {
  userId: string;
  /** The checkpoint thread: a conversation id, or a run's thread (runs). */
  conversationId: string;
  model: string;
  signal: AbortSignal;
  /** A team member (runs): its own prompt, a subset of the tools, and extra tools built per run. */
  member?: AgentMemberSpec;
}

export interface AgentMemberSpec {
  systemPrompt: string;
  tools: string[];
  extraTools?: StructuredToolInterface[];
}
