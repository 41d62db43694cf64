import { Logger } from '@nestjs/common';
import type { TokenUsage } from '../agent/agent.types';
import type { RunMessageType } from './run-message.entity';
import type { Run, RunProgress, RunState } from './run.entity';
import type { RunEvents } from './run-events';
import type { RunsRepository } from './runs.repository';

export type RunEventType =
  | 'run_status'
  | 'run_progress'
  | 'agent_message'
  | 'chunk'
  | 'tool_calls'
  | 'results'
  | 'consent_required'
  | 'run_completed';

/**
 * One run executing on this worker: buffers its events and writes them in batches (ids are
 * allocated on the runs row), saves progress and state, beats, and notices a cancel made on
 * any instance (the row is no longer `running`) within one flush interval.
 */
export class RunExecution {
  private readonly logger = new Logger(RunExecution.name);
  readonly abort = new AbortController();
  readonly usage: TokenUsage;
  state: RunState;
  progress: RunProgress;
  /** The model of the latest turn (seed 003's metadata.model_used). */
  modelUsed?: string;
  private buffer: Array<{ type: RunEventType; data: Record<string, unknown> }> = [];
  private dirty = false;
  private flushing?: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  private readonly turnStarted = Date.now();
  private turnDurations: number[] = [];

  constructor(
    readonly run: Run,
    private readonly runs: RunsRepository,
    private readonly events: RunEvents,
    flushIntervalMs: number,
  ) {
    this.usage = { ...run.usage };
    this.state = { ...run.state, turns: [...(run.state.turns ?? [])] };
    this.progress = run.progress;
    this.timer = setInterval(() => void this.flush(), flushIntervalMs);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  emit(type: RunEventType, data: Record<string, unknown>): void {
    if (this.abort.signal.aborted && type !== 'run_completed') return;
    this.buffer.push({ type, data: { run_id: this.run.id, ...data } });
  }

  async message(agent: string, type: RunMessageType, content: string): Promise<void> {
    const stored = await this.runs.addMessage({ runId: this.run.id, userId: this.run.userId, agent, type, content });
    this.emit('agent_message', { agent, message: content, type, timestamp: stored.createdAt.toISOString() });
  }

  addUsage(usage: TokenUsage): void {
    for (const key of ['input_tokens', 'output_tokens', 'total_tokens'] as const) this.usage[key] += usage[key];
    this.dirty = true;
  }

  /** Progress after `completed` of `total` steps; the remaining time is estimated from the average step. */
  setProgress(currentStep: string, completed: number, total: number): void {
    const now = Date.now();
    const elapsed = now - this.turnStarted;
    if (completed > 0) this.turnDurations = [elapsed / completed];
    const average = this.turnDurations[0];
    this.progress = {
      current_step: currentStep,
      completion_percentage: Math.min(100, Math.round((completed / Math.max(total, 1)) * 100)),
      steps_completed: completed,
      total_steps: total,
      estimated_time_remaining: average === undefined ? null : Math.round(((total - completed) * average) / 1000),
    };
    this.dirty = true;
    this.emit('run_progress', { status: 'running', progress: this.progress });
  }

  saveState(state: RunState): void {
    this.state = state;
    this.dirty = true;
  }

  /** Writes pending events and state; one flush at a time. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.flushing = this.write().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Drops what was not written yet (a cancelled run says nothing more). */
  discard(): void {
    this.buffer = [];
  }

  private async write(): Promise<void> {
    const events = this.buffer;
    this.buffer = [];
    try {
      if (events.length) {
        await this.runs.appendEvents(this.run.id, events);
        this.events.flushed.next(this.run.id);
      }
      if (this.abort.signal.aborted) return;
      const patch = this.dirty ? { progress: this.progress, state: this.state, usage: this.usage, modelUsed: this.modelUsed } : {};
      this.dirty = false;
      const status = await this.runs.beat(this.run.id, patch);
      if (status !== 'running') this.abort.abort(status === 'cancelled' ? 'cancelled' : 'lost');
    } catch (error) {
      this.buffer = [...events, ...this.buffer];
      this.logger.warn({ err: error, run_id: this.run.id }, 'Run flush failed; retrying');
    }
  }
}
