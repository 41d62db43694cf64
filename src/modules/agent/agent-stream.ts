import { AIMessage, type BaseMessage, ToolMessage } from '@langchain/core/messages';
import type { HITLRequest } from 'langchain';
import { canonicalJson } from '../consent/action-hash';
import type { ConsentAction } from '../consent/consent-request.entity';
import type { AgentEvent } from './agent.events';

/** The graph node that calls the model (langchain's createAgent names it so). */
export const MODEL_NODE = 'model_request';

type Call = { id: string; name: string; args: Record<string, unknown> };

/**
 * Translates one run's LangGraph stream (modes `messages` and `updates`) into AgentEvents. One
 * per run: it remembers the run's tool calls (an interrupt's actions get their ids) and the
 * results already reported.
 */
export class AgentStreamTranslator {
  private readonly seenResults = new Set<string>();
  private readonly calls: Call[] = [];

  /** `describe`: the one line shown to the person deciding on a sensitive tool's call. */
  constructor(private readonly describe: (tool: string) => string | undefined) {}

  async *translate(stream: AsyncIterable<[string, unknown]>): AsyncGenerator<AgentEvent> {
    for await (const [mode, chunk] of stream) {
      if (mode === 'messages') {
        const [message, metadata] = chunk as [BaseMessage, { langgraph_node?: string }];
        const text = metadata.langgraph_node === MODEL_NODE && AIMessage.isInstance(message) ? textContent(message) : '';
        if (text) yield { type: 'text', content: text };
        continue;
      }
      for (const [node, update] of Object.entries(chunk as Record<string, unknown>)) {
        if (node === '__interrupt__') {
          const interrupts = update as Array<{ value: HITLRequest }>;
          yield { type: 'interrupt', actions: interrupts.flatMap((item) => this.toActions(item.value)) };
          continue;
        }
        for (const message of (update as { messages?: BaseMessage[] } | null)?.messages ?? []) {
          if (node === MODEL_NODE && AIMessage.isInstance(message)) yield* this.modelTurn(message);
          else if (ToolMessage.isInstance(message) && !this.seenResults.has(message.tool_call_id)) {
            this.seenResults.add(message.tool_call_id);
            yield {
              type: 'tool_result',
              result: {
                tool_call_id: message.tool_call_id,
                name: message.name ?? '',
                content: textContent(message),
                status: message.status === 'error' ? 'error' : 'success',
              },
            };
          }
        }
      }
    }
  }

  /** The events of one finished model call (its text was streamed): its tool calls, then its token usage. */
  *modelTurn(message: AIMessage): Generator<AgentEvent> {
    if (message.tool_calls?.length) {
      this.calls.push(...message.tool_calls.map((call) => ({ id: call.id ?? '', name: call.name, args: call.args })));
      yield { type: 'tool_calls', toolCalls: message.tool_calls.map((call) => ({ id: call.id ?? '', name: call.name, arguments: call.args })) };
    }
    const usage = message.usage_metadata;
    if (usage) yield { type: 'usage', usage: { input_tokens: usage.input_tokens, output_tokens: usage.output_tokens, total_tokens: usage.total_tokens } };
  }

  /** HITL's action requests carry no call id: each takes the first unclaimed call with its name and arguments. */
  private toActions(request: HITLRequest): ConsentAction[] {
    const unclaimed = [...this.calls];
    return request.actionRequests.map((action, index) => {
      const at = unclaimed.findIndex((call) => call.name === action.name && canonicalJson(call.args) === canonicalJson(action.args));
      const call = at >= 0 ? unclaimed.splice(at, 1)[0] : undefined;
      return {
        tool: action.name,
        arguments: action.args,
        description: this.describe(action.name) ?? action.description ?? action.name,
        allowed_decisions: request.reviewConfigs[index]?.allowedDecisions ?? ['approve', 'reject'],
        tool_call_id: call?.id || null,
      };
    });
  }
}

export function textContent(message: BaseMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .map((part) => (typeof part === 'string' ? part : part.type === 'text' ? String((part as { text?: unknown }).text ?? '') : ''))
    .join('');
}
