import type { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AIMessage, type AIMessageChunk, type BaseMessage, type HumanMessage, type SystemMessage, ToolMessage } from '@langchain/core/messages';
import { ensureConfig, type RunnableConfig } from '@langchain/core/runnables';
import type { StructuredToolInterface } from '@langchain/core/tools';
import type { BaseCheckpointSaver, CheckpointTuple } from '@langchain/langgraph';
import type { AgentEvent } from './agent.events';
import { type AgentStreamTranslator, MODEL_NODE, textContent } from './agent-stream';

/** What createAgent's model node sends for an agent, kept beside it so a reply can send it directly. */
export interface DirectModelCall {
  model: BaseChatModel;
  /** The agent's tools, the same instances (ModelRegistry's models reuse their bound variant by identity). */
  tools: StructuredToolInterface[];
  /** As createAgent normalises the system prompt: one text block. */
  systemMessage: SystemMessage;
  /** The node after the model: the consent middleware's after-model hook. */
  afterModelNode: string;
}

/** The compiled agent graph, as much of it as a direct reply uses. */
export interface AgentGraph {
  updateState(config: RunnableConfig, values: Record<string, unknown>, asNode?: string): Promise<RunnableConfig>;
  stream(input: null, config: Record<string, unknown>): Promise<AsyncIterable<[string, unknown]>>;
}

export interface SettledThread {
  saved: CheckpointTuple | undefined;
  messages: BaseMessage[];
}

export interface DirectReply {
  graph: AgentGraph;
  checkpointer: BaseCheckpointSaver;
  call: DirectModelCall;
  /** The thread, loaded (settledThread). */
  thread: SettledThread;
  message: HumanMessage;
  threadId: string;
  signal: AbortSignal;
  callbacks?: BaseCallbackHandler[];
  /** The graph run's config, for a turn that calls a tool (the graph takes over). */
  graphConfig: Record<string, unknown>;
  translator: AgentStreamTranslator;
}

/** Steps of a graph run up to the model's answer (recursion limit, see directReply). */
const HANDED_OVER_STEPS = 3;

/** createAgent's model node names the model's messages so (it is sent back to the provider). */
const MODEL_MESSAGE_NAME = 'model';

/**
 * LangGraph reads a checkpointer lent in the config (it lends its own to subgraphs so) before the
 * graph's. Were the key no longer read, storing a turn would load the thread again: slower, as correct.
 */
const LENT_CHECKPOINTER = '__pregel_checkpointer';

/**
 * The thread if it is settled: nothing pending (no consent awaited, no write of an unfinished
 * step) and no tool call left unanswered. Otherwise undefined: the graph runs the turn.
 */
export async function settledThread(checkpointer: BaseCheckpointSaver, threadId: string): Promise<SettledThread | undefined> {
  const saved = await checkpointer.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } });
  if (saved?.pendingWrites?.length) return undefined;
  const messages = (saved?.checkpoint.channel_values.messages ?? []) as BaseMessage[];
  const lastAi = messages.findLast((message) => AIMessage.isInstance(message));
  const answered = new Set(messages.filter((message) => ToolMessage.isInstance(message)).map((message) => message.tool_call_id));
  return lastAi?.tool_calls?.every((call) => answered.has(call.id ?? '')) === false ? undefined : { saved, messages };
}

/** The checkpointer, answering the thread's latest checkpoint once with the one already loaded (updateState loads it). */
function primed(checkpointer: BaseCheckpointSaver, saved: CheckpointTuple | undefined): BaseCheckpointSaver {
  let fresh = true;
  return new Proxy(checkpointer, {
    get(target, property) {
      if (property === 'getTuple') {
        return async (config: RunnableConfig) => {
          if (!fresh || config.configurable?.checkpoint_id) return target.getTuple(config);
          fresh = false;
          return saved;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * A new message's turn without LangGraph's per-token and per-node machinery: the request
 * createAgent's model node would send (system prompt, the thread, the message, the same bound
 * tools), streamed straight from the model. A plain answer is stored into the thread as the
 * graph would have (the consent hook's update ends the turn). A turn that calls a tool is
 * handed to the graph after the model's step, without calling the model again: the consent
 * hook, the tools and the next model calls run there as in any run.
 */
export async function* directReply(reply: DirectReply): AsyncGenerator<AgentEvent> {
  const { call, signal } = reply;
  const model = call.model.bindTools?.(call.tools, { tool_choice: undefined }) ?? call.model;
  const thread = { configurable: { thread_id: reply.threadId, [LENT_CHECKPOINTER]: primed(reply.checkpointer, reply.thread.saved) } };
  let final: AIMessageChunk | undefined;
  try {
    signal.throwIfAborted();
    // What model.stream() iterates, without its wrapper: that runs every chunk through a new
    // callback manager and AsyncLocalStorage context, a race with the signal and a web
    // ReadableStream. The model's own iterator checks the signal per chunk, and the provider's
    // request is aborted by it; the callbacks are configured once, for the call, as there.
    const stream = model._streamIterator([call.systemMessage, ...reply.thread.messages, reply.message], ensureConfig({ signal, callbacks: reply.callbacks }));
    for await (const chunk of stream) {
      const text = textContent(chunk);
      if (text) yield { type: 'text', content: text };
      final = final ? final.concat(chunk) : chunk;
    }
    signal.throwIfAborted();
    if (!final) throw new Error('Received empty response from chat model call.');
  } catch (error) {
    // As a graph run that fails in the model step: the thread keeps the message.
    await reply.graph.updateState(thread, { messages: [reply.message] }, '__start__').catch(() => undefined);
    throw error;
  }
  final.name = MODEL_MESSAGE_NAME;
  final.lc_kwargs.name = MODEL_MESSAGE_NAME;
  yield* reply.translator.modelTurn(final);
  const callsTools = Boolean(final.tool_calls?.length);
  await reply.graph.updateState(thread, { messages: [reply.message, final] }, callsTools ? MODEL_NODE : call.afterModelNode);
  if (!callsTools) return;
  // The same step budget as a whole run: the graph's steps before this point (input, start,
  // model) are not this run's, and it starts one step past the stored update's.
  const recursionLimit = (reply.graphConfig.recursionLimit as number) - HANDED_OVER_STEPS;
  yield* reply.translator.translate(await reply.graph.stream(null, { ...reply.graphConfig, recursionLimit }));
}
