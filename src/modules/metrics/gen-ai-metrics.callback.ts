import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import type { BaseMessage } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';
import type { AppMetrics } from './app-metrics';

interface ModelCall {
  started: number;
  firstToken?: number;
  labels: { gen_ai_operation_name: 'chat'; gen_ai_provider_name: string; gen_ai_request_model: string };
}

/**
 * Records each model call and tool execution of one agent run (LangChain callbacks fire per
 * call, so a run with tool turns counts several model calls). Provider and model come from the
 * run's model spec (`provider:model`); a fallback model reports its own name.
 */
export class GenAiMetricsCallback extends BaseCallbackHandler {
  name = 'gen-ai-metrics';
  private readonly calls = new Map<string, ModelCall>();
  private readonly tools = new Map<string, string>();
  private readonly provider: string;
  private readonly model: string;

  constructor(
    private readonly metrics: AppMetrics,
    modelSpec: string,
  ) {
    // Model and tool events only: the agent's graph starts and ends a chain per node and step.
    // (Tool events go through ignoreAgent, so that one stays off.) The handlers are synchronous
    // and cheap: run inline rather than through LangChain's background queue (a p-queue entry
    // per token, shared by every reply).
    super({ ignoreChain: true, ignoreRetriever: true, ignoreCustomEvent: true, _awaitHandler: true });
    const [provider, ...rest] = modelSpec.split(':');
    this.provider = provider;
    this.model = rest.join(':') || provider;
  }

  override handleChatModelStart(
    _llm: Serialized,
    _messages: BaseMessage[][],
    runId: string,
    _parentRunId?: string,
    _extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): void {
    const model = typeof metadata?.ls_model_name === 'string' ? metadata.ls_model_name : this.model;
    this.calls.set(runId, {
      started: performance.now(),
      labels: { gen_ai_operation_name: 'chat', gen_ai_provider_name: this.provider, gen_ai_request_model: model },
    });
  }

  override handleLLMNewToken(token: string, _idx: unknown, runId: string): void {
    const call = this.calls.get(runId);
    if (!call || call.firstToken !== undefined || token === '') return;
    call.firstToken = performance.now();
    this.metrics.genAiTimeToFirstToken.observe(call.labels, (call.firstToken - call.started) / 1000);
  }

  override handleLLMEnd(output: LLMResult, runId: string): void {
    const call = this.take(runId);
    if (!call) return;
    this.metrics.genAiDuration.observe({ ...call.labels, error_type: '' }, (performance.now() - call.started) / 1000);
    const message = (output.generations[0]?.[0] as { message?: { usage_metadata?: { input_tokens: number; output_tokens: number } } } | undefined)?.message;
    const usage = message?.usage_metadata;
    if (!usage) return;
    this.metrics.genAiTokens.observe({ ...call.labels, gen_ai_token_type: 'input' }, usage.input_tokens);
    this.metrics.genAiTokens.observe({ ...call.labels, gen_ai_token_type: 'output' }, usage.output_tokens);
  }

  override handleLLMError(error: Error, runId: string): void {
    const call = this.take(runId);
    if (!call) return;
    const errorType = error?.name === 'AbortError' ? 'cancelled' : error?.name || 'Error';
    this.metrics.genAiDuration.observe({ ...call.labels, error_type: errorType }, (performance.now() - call.started) / 1000);
  }

  override handleToolStart(
    _tool: Serialized,
    _input: string,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.tools.set(runId, runName ?? 'unknown');
  }

  override handleToolEnd(_output: unknown, runId: string): void {
    this.endTool(runId, 'success');
  }

  override handleToolError(_error: Error, runId: string): void {
    this.endTool(runId, 'error');
  }

  private take(runId: string): ModelCall | undefined {
    const call = this.calls.get(runId);
    this.calls.delete(runId);
    return call;
  }

  private endTool(runId: string, outcome: 'success' | 'error'): void {
    const tool = this.tools.get(runId);
    if (tool === undefined) return;
    this.tools.delete(runId);
    this.metrics.toolCalls.inc({ gen_ai_tool_name: tool, outcome });
  }
}
