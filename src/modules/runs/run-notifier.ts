import { Injectable, Logger } from '@nestjs/common';
import type { ConsentAction } from '../consent/consent-request.entity';
import { ConsentService } from '../consent/consent.service';
import { mapConsentRequest } from '../consent/dto/consent.dto';
import { RealtimeEmitter } from '../realtime/realtime.emitter';
import { runRoom } from '../realtime/realtime.events';
import { RunEvents } from './run-events';
import type { RunExecution } from './run-execution';
import { RunMetrics } from './run-metrics';
import type { Run } from './run.entity';
import { RunsRepository } from './runs.repository';

/** Told of every run that ended (completed, failed, cancelled, timed out); never holds it up. */
export type RunCompletionObserver = (run: Run) => void | Promise<void>;

/** The last words of a run: its final event, and the owner's other sockets told it ended. */
@Injectable()
export class RunNotifier {
  private readonly logger = new Logger(RunNotifier.name);
  private readonly observers: RunCompletionObserver[] = [];

  constructor(
    private readonly events: RunEvents,
    private readonly runs: RunsRepository,
    private readonly realtime: RealtimeEmitter,
    private readonly consents: ConsentService,
    private readonly metrics: RunMetrics,
  ) {}

  /** Called once per run, by whoever ended it (its status update is conditional). */
  async completed(run: Run): Promise<void> {
    this.metrics.runFinished(run.status);
    const data = completedPayload(run);
    await this.events.append(run.id, 'run_completed', data);
    // Sockets that subscribed to the run get it from the event log, in order; the rest here.
    this.realtime.toUserExcept(run.userId, runRoom(run.id), 'run_completed', { id: 0, run_id: run.id, ...data });
    for (const observer of this.observers) {
      void Promise.resolve()
        .then(() => observer(run))
        .catch((error) => this.logger.warn({ err: error, run_id: run.id }, 'Run completion observer failed'));
    }
  }

  /** Notifications follow run endings without Runs knowing them. */
  observe(observer: RunCompletionObserver): void {
    this.observers.push(observer);
  }

  /**
   * A member needs consent: the request is stored (linked to the run), the run waits as
   * `awaiting_consent` and its worker is released; the decision enqueues the continuation.
   */
  async paused(exec: RunExecution, actions: ConsentAction[]): Promise<void> {
    const request = await this.consents.open({ userId: exec.run.userId, runId: exec.run.id, actions });
    await exec.message(exec.state.thread?.agent ?? 'system', 'status', `Waiting for consent: ${actions.map((action) => action.tool).join(', ')}`);
    exec.emit('consent_required', { consent_request: mapConsentRequest(request) });
    exec.emit('run_status', { status: 'awaiting_consent' });
    exec.stop();
    await exec.flush();
    await this.runs.setStatus(exec.run.id, ['running'], 'awaiting_consent');
  }
}

export function completedPayload(run: Run): Record<string, unknown> {
  return {
    status: run.status,
    team_result: run.teamResult,
    completed_at: run.completedAt?.toISOString() ?? null,
    usage: run.usage,
    ...(run.error ? { error: run.error } : {}),
  };
}
