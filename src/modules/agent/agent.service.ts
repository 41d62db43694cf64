import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { AIMessage, type BaseMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { type BaseCheckpointSaver, Command } from '@langchain/langgraph';
import { LRUCache } from 'lru-cache';
import { createAgent, type HITLRequest, humanInTheLoopMiddleware, modelFallbackMiddleware } from 'langchain';
import { AppConfig } from '../../config/app-config';
import { canonicalJson } from '../consent/action-hash';
import type { ConsentAction, ConsentDecision } from '../consent/consent-request.entity';
import type { AgentEvent, AgentInput, AgentMemberSpec, AgentRunContext } from './agent.events';
import { AppMetrics } from '../metrics/app-metrics';
import { GenAiMetricsCallback } from '../metrics/gen-ai-metrics.callback';
import { CHECKPOINTER } from './checkpointer.provider';
import { ModelRegistry } from './models/model-registry';
import { AGENT_TOOLS, type AgentTool } from './tools/agent-tool';

const SYSTEM_PROMPT =
  'You are a helpful assistant. Use the tools when they help. Call at most one tool per turn. ' +
  'Some tools need the user’s approval; if a call is rejected, accept it and say what you did not do.';
const RECURSION_LIMIT = 25;
/** Agents kept built (one per model); the offered models are few, this only bounds memory. */
const MAX_CACHED_AGENTS = 32;

type Agent = ReturnType<typeof createAgent>;

/**
 * Builds LangChain agents (model + tools + consent middleware + PostgreSQL checkpointer) and
 * runs them, translating LangGraph's stream into AgentEvents. The checkpoint thread is the
 * conversation id, so a paused agent can be resumed by any instance, after a restart too.
 */
@Injectable()
export class AgentService {
  private readonly logger = new Logger(AgentService.name);
  private readonly agents = new LRUCache<string, Promise<Agent>>({ max: MAX_CACHED_AGENTS });
  /** Agents with a middleware that keeps state: they need ReactAgent.stream()'s initialisation. */
  private readonly withMiddlewareState = new WeakSet<Agent>();

  constructor(
    private readonly models: ModelRegistry,
    @Inject(AGENT_TOOLS) private readonly tools: AgentTool[],
    @Inject(CHECKPOINTER) private readonly checkpointer: BaseCheckpointSaver,
    private readonly config: AppConfig,
    @Optional() private readonly metrics?: AppMetrics,
  ) {}

  toolDescriptions(): Array<{ name: string; sensitive: boolean }> {
    return this.tools.map((tool) => ({ name: tool.name, sensitive: tool.sensitive }));
  }

  async *run(input: AgentInput, context: AgentRunContext): AsyncGenerator<AgentEvent> {
    const agent = context.member ? await this.memberAgent(context.model, context.member) : await this.agentFor(context.model);
    const payload =
      input.kind === 'message'
        ? { messages: [userMessage(input.text, input.attachments)] }
        : new Command({ resume: { decisions: input.decisions.map(toHitlDecision) } });
    // The compiled graph directly (as the LangGraph API server does): ReactAgent.stream() first
    // loads and deserialises the whole thread (getState) only to fill in middleware state
    // defaults, which only middleware with a state schema have. The graph loads it once itself.
    const runnable = this.withMiddlewareState.has(agent) ? agent : agent.graph;
    const stream = await runnable.stream(payload as never, {
      // consent_grants: the tokens the gated tools redeem (plain, in memory only for this run).
      configurable: { thread_id: context.conversationId, user_id: context.userId, consent_grants: input.kind === 'resume' ? (input.grants ?? []) : [] },
      streamMode: ['messages', 'updates'],
      signal: context.signal,
      recursionLimit: RECURSION_LIMIT,
      callbacks: this.metrics ? [new GenAiMetricsCallback(this.metrics, context.model)] : undefined,
      // Checkpoint when the run ends or pauses for consent, not after every step: it saves a
      // third of a reply's database writes. A crash mid-run loses only that run's agent state;
      // its text is kept by the chat module and marked interrupted.
      durability: 'exit',
    } as never);

    const seenResults = new Set<string>();
    // The model's tool calls of this run: an interrupt's actions get their ids (tokens bind to them).
    const calls: Array<{ id: string; name: string; args: Record<string, unknown> }> = [];
    for await (const [mode, chunk] of stream as AsyncIterable<[string, unknown]>) {
      if (mode === 'messages') {
        const [message, metadata] = chunk as [BaseMessage, { langgraph_node?: string }];
        const text = metadata.langgraph_node === 'model_request' && AIMessage.isInstance(message) ? textContent(message) : '';
        if (text) yield { type: 'text', content: text };
        continue;
      }
      for (const [node, update] of Object.entries(chunk as Record<string, unknown>)) {
        if (node === '__interrupt__') {
          const interrupts = update as Array<{ value: HITLRequest }>;
          yield { type: 'interrupt', actions: interrupts.flatMap((item) => this.toActions(item.value, calls)) };
          continue;
        }
        for (const message of ((update as { messages?: BaseMessage[] } | null)?.messages ?? [])) {
          if (node === 'model_request' && AIMessage.isInstance(message)) {
            if (message.tool_calls?.length) {
              calls.push(...message.tool_calls.map((call) => ({ id: call.id ?? '', name: call.name, args: call.args })));
              yield {
                type: 'tool_calls',
                toolCalls: message.tool_calls.map((call) => ({ id: call.id ?? '', name: call.name, arguments: call.args })),
              };
            }
            const usage = message.usage_metadata;
            if (usage) yield { type: 'usage', usage: { input_tokens: usage.input_tokens, output_tokens: usage.output_tokens, total_tokens: usage.total_tokens } };
          } else if (ToolMessage.isInstance(message) && !seenResults.has(message.tool_call_id)) {
            seenResults.add(message.tool_call_id);
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

  /** Forgets a conversation's agent state (its checkpoint thread). */
  async deleteThread(conversationId: string): Promise<void> {
    await this.checkpointer.deleteThread(conversationId);
  }

  /** HITL's action requests carry no call id: each takes the first unclaimed call with its name and arguments. */
  private toActions(request: HITLRequest, calls: Array<{ id: string; name: string; args: Record<string, unknown> }>): ConsentAction[] {
    const unclaimed = [...calls];
    return request.actionRequests.map((action, index) => {
      const at = unclaimed.findIndex((call) => call.name === action.name && canonicalJson(call.args) === canonicalJson(action.args));
      const call = at >= 0 ? unclaimed.splice(at, 1)[0] : undefined;
      return {
        tool: action.name,
        arguments: action.args,
        description: this.tools.find((tool) => tool.name === action.name)?.consentDescription ?? action.description ?? action.name,
        allowed_decisions: request.reviewConfigs[index]?.allowedDecisions ?? ['approve', 'reject'],
        tool_call_id: call?.id || null,
      };
    });
  }

  private agentFor(model: string): Promise<Agent> {
    let agent = this.agents.get(model);
    if (!agent) {
      agent = this.build(model);
      agent.catch(() => this.agents.delete(model));
      this.agents.set(model, agent);
    }
    return agent;
  }

  /** A team member's agent; cached per model, prompt and tools unless it has per-run tools. */
  private memberAgent(model: string, member: AgentMemberSpec): Promise<Agent> {
    if (member.extraTools?.length) return this.build(model, member);
    const key = JSON.stringify([model, member.systemPrompt, member.tools]);
    let agent = this.agents.get(key);
    if (!agent) {
      agent = this.build(model, member);
      agent.catch(() => this.agents.delete(key));
      this.agents.set(key, agent);
    }
    return agent;
  }

  private async build(model: string, member?: AgentMemberSpec): Promise<Agent> {
    const fallbacks = await Promise.all(
      this.config.llm.fallbackModels.filter((spec) => spec !== model).map((spec) => this.models.create(spec)),
    );
    const interruptOn = Object.fromEntries(
      this.tools.filter((tool) => tool.sensitive).map((tool) => [tool.name, { allowedDecisions: ['approve', 'edit', 'reject'] as Array<'approve' | 'edit' | 'reject'> }]),
    );
    this.logger.log({ model, fallbacks: this.config.llm.fallbackModels }, 'Building agent');
    const tools = member ? this.tools.filter((tool) => member.tools.includes(tool.name)) : this.tools;
    const middleware = [humanInTheLoopMiddleware({ interruptOn }), ...(fallbacks.length ? [modelFallbackMiddleware(...fallbacks)] : [])];
    const agent = createAgent({
      model: await this.models.create(model),
      tools: [...tools.map((tool) => tool.build()), ...(member?.extraTools ?? [])],
      systemPrompt: member?.systemPrompt ?? SYSTEM_PROMPT,
      middleware,
      checkpointer: this.checkpointer,
    }) as unknown as Agent;
    if (middleware.some((item) => (item as { stateSchema?: unknown }).stateSchema)) this.withMiddlewareState.add(agent);
    return agent;
  }
}

function textContent(message: BaseMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .map((part) => (typeof part === 'string' ? part : part.type === 'text' ? String((part as { text?: unknown }).text ?? '') : ''))
    .join('');
}

/**
 * With attachments, the content is LangChain v1 standard blocks; `output_version: 'v1'` tells
 * the provider packages to translate them (e.g. an image block into OpenAI's image_url).
 */
function userMessage(text: string, attachments: Array<Record<string, unknown>> = []) {
  if (!attachments.length) return { role: 'user', content: text };
  return new HumanMessage({ content: [{ type: 'text', text }, ...attachments] as never, response_metadata: { output_version: 'v1' } });
}

function toHitlDecision(decision: ConsentDecision) {
  if (decision.type === 'reject') return { type: 'reject' as const, message: decision.reason ?? 'The user rejected this action.' };
  if (decision.type === 'edit') return { type: 'edit' as const, editedAction: { name: decision.tool, args: decision.arguments ?? {} } };
  return { type: 'approve' as const };
}
