import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { type BaseCheckpointSaver, Command } from '@langchain/langgraph';
import { LRUCache } from 'lru-cache';
import { createAgent, humanInTheLoopMiddleware, modelFallbackMiddleware } from 'langchain';
import { AppConfig } from '../../config/app-config';
import type { ConsentDecision } from '../consent/consent-request.entity';
import type { AgentEvent, AgentInput, AgentMemberSpec, AgentRunContext } from './agent.events';
import { AppMetrics } from '../metrics/app-metrics';
import { GenAiMetricsCallback } from '../metrics/gen-ai-metrics.callback';
import { AgentStreamTranslator } from './agent-stream';
import { CHECKPOINTER } from './checkpointer.provider';
import { type AgentGraph, type DirectModelCall, directReply, settledThread } from './direct-reply';
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
  /** Agents whose model a new message's reply may call directly (direct-reply.ts). */
  private readonly direct = new WeakMap<Agent, DirectModelCall>();

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
    const translator = new AgentStreamTranslator((tool) => this.tools.find((item) => item.name === tool)?.consentDescription);
    const callbacks = this.metrics ? [new GenAiMetricsCallback(this.metrics, context.model)] : undefined;
    const config = {
      // consent_grants: the tokens the gated tools redeem (plain, in memory only for this run).
      configurable: { thread_id: context.conversationId, user_id: context.userId, consent_grants: input.kind === 'resume' ? (input.grants ?? []) : [] },
      streamMode: ['messages', 'updates'],
      signal: context.signal,
      recursionLimit: RECURSION_LIMIT,
      callbacks,
      // Checkpoint when the run ends or pauses for consent, not after every step: it saves a
      // third of a reply's database writes. A crash mid-run loses only that run's agent state;
      // its text is kept by the chat module and marked interrupted.
      durability: 'exit',
    };
    // A new message to an agent whose model node can be called directly (no fallback models, not
    // a team member), on a settled thread: the model is called without the graph (issue 15).
    const direct = input.kind === 'message' ? this.direct.get(agent) : undefined;
    const thread = direct ? await settledThread(this.checkpointer, context.conversationId) : undefined;
    if (direct && thread && input.kind === 'message') {
      const message = userMessage(input.text, input.attachments);
      const graph = agent.graph as unknown as AgentGraph;
      const threadId = context.conversationId;
      yield* directReply({ graph, call: direct, checkpointer: this.checkpointer, thread, message, threadId, signal: context.signal, callbacks, graphConfig: config, translator });
      return;
    }
    const payload =
      input.kind === 'message'
        ? { messages: [userMessage(input.text, input.attachments)] }
        : new Command({ resume: { decisions: input.decisions.map(toHitlDecision) } });
    // The compiled graph directly (as the LangGraph API server does): ReactAgent.stream() first
    // loads and deserialises the whole thread (getState) only to fill in middleware state
    // defaults, which only middleware with a state schema have. The graph loads it once itself.
    const runnable = this.withMiddlewareState.has(agent) ? agent : agent.graph;
    yield* translator.translate((await runnable.stream(payload as never, config as never)) as AsyncIterable<[string, unknown]>);
  }

  /** Forgets a conversation's agent state (its checkpoint thread). */
  async deleteThread(conversationId: string): Promise<void> {
    await this.checkpointer.deleteThread(conversationId);
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
    const consent = humanInTheLoopMiddleware({ interruptOn });
    const middleware = [consent, ...(fallbacks.length ? [modelFallbackMiddleware(...fallbacks)] : [])];
    const chatModel = await this.models.create(model);
    const agentTools = [...tools.map((tool) => tool.build()), ...(member?.extraTools ?? [])];
    const systemPrompt = member?.systemPrompt ?? SYSTEM_PROMPT;
    const agent = createAgent({ model: chatModel, tools: agentTools, systemPrompt, middleware, checkpointer: this.checkpointer }) as unknown as Agent;
    if (!member && !fallbacks.length && this.config.llm.directReplies) {
      // createAgent's model node request: the same model and tools, the prompt as one text block.
      const systemMessage = new SystemMessage({ content: [{ type: 'text', text: systemPrompt }] });
      this.direct.set(agent, { model: chatModel, tools: agentTools, systemMessage, afterModelNode: `${consent.name}.after_model` });
    }
    if (middleware.some((item) => (item as { stateSchema?: unknown }).stateSchema)) this.withMiddlewareState.add(agent);
    return agent;
  }
}

/**
 * With attachments, the content is LangChain v1 standard blocks; `output_version: 'v1'` tells
 * the provider packages to translate them (e.g. an image block into OpenAI's image_url).
 */
function userMessage(text: string, attachments: Array<Record<string, unknown>> = []): HumanMessage {
  if (!attachments.length) return new HumanMessage(text);
  return new HumanMessage({ content: [{ type: 'text', text }, ...attachments] as never, response_metadata: { output_version: 'v1' } });
}

function toHitlDecision(decision: ConsentDecision) {
  if (decision.type === 'reject') return { type: 'reject' as const, message: decision.reason ?? 'The user rejected this action.' };
  if (decision.type === 'edit') return { type: 'edit' as const, editedAction: { name: decision.tool, args: decision.arguments ?? {} } };
  return { type: 'approve' as const };
}
