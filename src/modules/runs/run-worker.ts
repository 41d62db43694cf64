import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { AppConfig } from '../../config/app-config';
import { providerFailure } from '../agent/completion.service';
import { UsageService } from '../agent/usage.service';
import type { TokenUsage } from '../agent/agent.types';
import { ConsentService } from '../consent/consent.service';
import { RunEvents } from './run-events';
import { RunExecution } from './run-execution';
import { RunMetrics } from './run-metrics';
import { RunNotifier } from './run-notifier';
import { RunOrchestrator } from './run-orchestrator';
import { RunJobData, RunJobHandler, RunQueue } from './run-queue';
import { Run, TERMINAL_STATUSES } from './run.entity';
import { RunsRepository } from './runs.repository';

/**
 * A session busy with another run (one waiting for consent: its job has ended, so group
 * concurrency no longer holds it back): look again after 2 s, backing off to 30 s.
 */
const busyRetrySeconds = (tries: number) => Math.min(2 ** (tries + 1), 30);

/**
 * Executes run jobs. A job claims its run with a conditional UPDATE (queued, or running after
 * its worker died), runs the orchestration, and ends the run with another conditional UPDATE,
 * so a cancel or timeout decided elsewhere always wins. Errors are retried by pg-boss up to
 * RUN_RETRY_LIMIT; the last attempt fails the run with its error.
 */
@Injectable()
export class RunWorker implements OnModuleInit {
  private readonly logger = new Logger(RunWorker.name);
  private readonly live = new Map<string, RunExecution>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly runs: RunsRepository,
    private readonly queue: RunQueue,
    private readonly events: RunEvents,
    private readonly orchestrator: RunOrchestrator,
    private readonly notifier: RunNotifier,
    private readonly usage: UsageService,
    private readonly consents: ConsentService,
    private readonly shutdown: ShutdownService,
    private readonly config: AppConfig,
    private readonly metrics: RunMetrics,
  ) {}

  onModuleInit(): void {
    if (this.config.runs.workers === 0) return;
    this.queue.setHandler((job) => this.handle(job));
    // Runs a worker dropped after its last attempt would otherwise stay `running` forever.
    const stale = this.config.runs.heartbeatSeconds * 2;
    this.sweeper = setInterval(() => void this.sweep(stale), this.config.runs.superviseSeconds * 1000);
    this.sweeper.unref();
    // SIGTERM: take no new jobs, and hand each running one back to the queue (see handBack)
    // within the drain window, rather than leave it to the heartbeat and retry path.
    this.shutdown.onShutdown(async () => {
      clearInterval(this.sweeper);
      await this.queue.stopWorking();
      for (const exec of this.live.values()) exec.abort.abort('shutdown');
    });
  }

  /** Aborts a run executing on this instance (a cancel made here takes effect at once). */
  abortLocal(runId: string, reason: string): void {
    this.live.get(runId)?.abort.abort(reason);
  }

  /** Resolves once a run no longer executes on this instance (or after `timeoutMs`). */
  async stoppedLocally(runId: string, timeoutMs = 5000): Promise<void> {
    for (const started = Date.now(); this.live.has(runId) && Date.now() - started < timeoutMs; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async handle(job: Parameters<RunJobHandler>[0]): Promise<void> {
    const runId = job.data.run_id;
    const claimed = await this.runs.claim(runId, job.id);
    if (claimed) this.metrics.jobStarted(job);
    if (!claimed) {
      const run = await this.runs.findById(runId);
      if (!run || TERMINAL_STATUSES.includes(run.status) || run.status === 'awaiting_consent') return;
      const tries = job.data.busy_tries ?? 0;
      await this.runs.manager.transaction(async (manager) => {
        const jobId = await this.queue.send(manager, { ...job.data, busy_tries: tries + 1 }, run.sessionId, busyRetrySeconds(tries));
        await this.runs.setJob(manager, run.id, jobId);
      });
      return;
    }
    const exec = new RunExecution(claimed, this.runs, this.events, this.config.runs.pollIntervalMs);
    this.live.set(runId, exec);
    // Claimed while the shutdown was already aborting the others.
    if (this.shutdown.isShuttingDown) exec.abort.abort('shutdown');
    const startUsage: TokenUsage = { ...claimed.usage };
    const onJobAbort = () => exec.abort.abort('lost');
    job.signal.addEventListener('abort', onJobAbort);
    const timeoutMs = claimed.team.orchestration.timeout_minutes * 60_000 - (Date.now() - (claimed.startedAt ?? new Date()).getTime());
    const timeout = setTimeout(() => exec.abort.abort('timeout'), Math.max(timeoutMs, 0));
    try {
      await this.execute(exec, claimed, job);
    } finally {
      clearTimeout(timeout);
      job.signal.removeEventListener('abort', onJobAbort);
      exec.stop();
      this.live.delete(runId);
      const delta = diff(exec.usage, startUsage);
      if (delta.total_tokens > 0) await this.usage.record(claimed.userId, delta).catch(() => undefined);
      // Its session was deleted while a member was mid-turn: that turn may have checkpointed after
      // the deletion dropped the run's threads, so drop them again now that nothing writes.
      if (!(await this.runs.findById(runId).catch(() => true))) await this.runs.deleteCheckpoints([runId]).catch(() => undefined);
    }
  }

  private async execute(exec: RunExecution, run: Run, job: Job<RunJobData>): Promise<void> {
    try {
      await this.usage.assertWithinBudget(run.userId);
      exec.emit('run_status', { status: 'running' });
      if (run.attempts > 1 && !job.data.resume) await exec.message('system', 'status', `Resumed by another worker (attempt ${run.attempts})`);
      const outcome = await this.orchestrator.execute(exec, await this.resumeInput(job.data, run.userId));
      if (outcome.kind === 'paused') {
        await this.notifier.paused(exec, outcome.actions);
        return;
      }
      exec.setProgress('completed', exec.progress.total_steps, exec.progress.total_steps);
      await exec.flush();
      const ended = await this.runs.finish(run.id, ['running'], { status: 'completed', teamResult: outcome.result, progress: exec.progress, usage: exec.usage });
      if (ended) await this.notifier.completed(ended);
    } catch (error) {
      const reason = exec.signal.aborted ? String(exec.signal.reason) : null;
      if (reason === 'cancelled' || reason === 'lost') {
        exec.discard();
        return;
      }
      if (reason === 'shutdown') return this.handBack(exec, run, job);
      await exec.flush();
      if (reason === 'timeout') {
        const ended = await this.runs.finish(run.id, ['running'], {
          status: 'timed_out',
          error: { code: 'TIMED_OUT', message: `The run exceeded its ${run.team.orchestration.timeout_minutes} minute limit` },
          usage: exec.usage,
        });
        if (ended) await this.notifier.completed(ended);
        return;
      }
      const failure = { code: errorCode(error), message: errorMessage(error) };
      if (job.retryCount < this.config.runs.retryLimit && failure.code !== 'QUOTA_EXCEEDED') {
        this.logger.warn({ run_id: run.id, attempt: run.attempts, err: error }, 'Run attempt failed; pg-boss retries it');
        throw error;
      }
      this.logger.warn({ run_id: run.id, err: error }, 'Run failed');
      const ended = await this.runs.finish(run.id, ['running'], { status: 'failed', error: failure, usage: exec.usage });
      if (ended) await this.notifier.completed(ended);
    }
  }

  /** A consent continuation carries the decision's tokens, opened here (they are not in the job). */
  private async resumeInput(data: RunJobData, userId: string) {
    if (data.resume?.kind !== 'resume' || !data.consent_request_id) return data.resume;
    return { ...data.resume, grants: await this.consents.grantsFor(data.consent_request_id, userId) };
  }

  /**
   * The worker is shutting down mid-run: the run goes back to `queued` with a fresh job (same
   * session group) that another worker picks up and resumes from the saved turns; this job then
   * completes. No retry is spent, and the handover is in the run's events and messages.
   */
  private async handBack(exec: RunExecution, run: Run, job: Job<RunJobData>): Promise<void> {
    await exec.flush();
    const data: RunJobData = { ...job.data };
    const handed = await this.runs.manager.transaction(async (manager) => {
      const patch = { progress: exec.progress, state: exec.state, usage: exec.usage, modelUsed: exec.modelUsed };
      if (!(await this.runs.requeue(manager, run.id, patch))) return false;
      await this.runs.setJob(manager, run.id, await this.queue.send(manager, data, run.sessionId));
      return true;
    });
    // Cancelled or ended elsewhere meanwhile: nothing to hand back.
    if (!handed) return;
    const message = 'The worker shut down; the run went back to the queue for another worker';
    this.logger.log({ run_id: run.id }, message);
    const stored = await this.runs.addMessage({ runId: run.id, userId: run.userId, agent: 'system', type: 'status', content: message });
    await this.runs.appendEvents(run.id, [
      { type: 'agent_message', data: { run_id: run.id, agent: 'system', message, type: 'status', timestamp: stored.createdAt.toISOString() } },
      { type: 'run_status', data: { run_id: run.id, status: 'queued', reason: 'worker_shutdown' } },
    ]);
    this.events.flushed.next(run.id);
  }

  private async sweep(staleSeconds: number): Promise<void> {
    try {
      const failed = await this.runs.failAbandoned(staleSeconds, this.queue.jobTable);
      for (const run of failed) await this.notifier.completed(run);
    } catch (error) {
      this.logger.warn({ err: error }, 'Run sweep failed');
    }
  }
}

function diff(now: TokenUsage, before: TokenUsage): TokenUsage {
  return {
    input_tokens: now.input_tokens - before.input_tokens,
    output_tokens: now.output_tokens - before.output_tokens,
    total_tokens: now.total_tokens - before.total_tokens,
  };
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return code === 'QUOTA_EXCEEDED' ? code : 'PROVIDER_ERROR';
}

function errorMessage(error: unknown): string {
  if ((error as { code?: unknown })?.code === 'QUOTA_EXCEEDED') return (error as Error).message;
  return `The model provider failed: ${providerFailure(error)}`;
}
