import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { UsageService } from '../agent/usage.service';
import { SessionsService } from '../sessions/sessions.service';
import { UserLimitsService } from '../user-settings/user-limits.service';
import { TeamsService } from '../teams/teams.service';
import type { ConsentDecision, ConsentRequest } from '../consent/consent-request.entity';
import { ConsentService } from '../consent/consent.service';
import { CreateRunDto } from './dto/run.dto';
import { RunEvents } from './run-events';
import { RunNotifier } from './run-notifier';
import { RunQueue } from './run-queue';
import { RunWorker } from './run-worker';
import type { TeamSnapshot } from '../teams/team.entity';
import { Run, RunStatus, TERMINAL_STATUSES } from './run.entity';
import { RunsRepository } from './runs.repository';

const CANCELLABLE: RunStatus[] = ['queued', 'running', 'awaiting_consent'];

@Injectable()
export class RunsService implements OnModuleInit {
  constructor(
    private readonly runs: RunsRepository,
    private readonly queue: RunQueue,
    private readonly worker: RunWorker,
    private readonly events: RunEvents,
    private readonly notifier: RunNotifier,
    private readonly sessions: SessionsService,
    private readonly teams: TeamsService,
    private readonly limits: UserLimitsService,
    private readonly usage: UsageService,
    private readonly consent: ConsentService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.sessions.onDelete((sessionId, userId) => this.beforeSessionDelete(sessionId, userId));
    this.consent.registerResumer('run', async (request, decisions) => {
      // The worker fetches the grants itself (RunJobData.consent_request_id).
      await this.resumeAfterConsent(request, decisions);
      return null;
    });
  }

  /**
   * The decision on a run's consent request (POST /chat/consent, expiry, or the lost-resume
   * sweep): the run goes back to `queued` with a job that resumes the paused member's checkpoint,
   * on whichever worker. Idempotent: a run no longer awaiting this request is left alone. A run
   * still `running` has not finished pausing yet: throw, the sweep retries.
   */
  async resumeAfterConsent(request: ConsentRequest, decisions: ConsentDecision[]): Promise<void> {
    const run = request.runId ? await this.runs.findOwned(request.runId, request.userId) : null;
    if (!run || (await this.consent.findPendingForRun(run.id, run.userId))) return;
    const resumed = await this.runs.manager.transaction(async (manager) => {
      if (!(await this.runs.setStatus(run.id, ['awaiting_consent'], 'queued', manager))) return false;
      const data = { run_id: run.id, resume: { kind: 'resume' as const, decisions }, consent_request_id: request.id };
      const jobId = await this.queue.send(manager, data, run.sessionId);
      await this.runs.setJob(manager, run.id, jobId);
      return true;
    });
    if (resumed) await this.events.append(run.id, 'run_status', { status: 'queued' });
    else if ((await this.runs.findOwned(run.id, run.userId))?.status === 'running') {
      throw new AppException(ErrorCode.Conflict, 'The run is still pausing; its resume is retried');
    }
  }

  /**
   * Checks everything (session, team, limits, budget) before storing; then the run row and its
   * job commit in one transaction.
   */
  async create(userId: string, dto: CreateRunDto): Promise<Run> {
    await this.sessions.get(dto.session_id, userId);
    const team = await this.teams.resolveForRun(userId, dto.team_id, dto.team_config);
    const { max_runs_per_hour: limit } = await this.limits.effective(userId);
    if (limit > 0) {
      const used = await this.runs.countSince(userId, new Date(Date.now() - 3600_000));
      if (used >= limit) throw new AppException(ErrorCode.QuotaExceeded, 'Hourly run limit reached', { limit, used, window_seconds: 3600 });
    }
    await this.usage.assertWithinBudget(userId);
    const metadata = { ...(dto.metadata ?? {}), ...(dto.attachments?.length ? { attachments: dto.attachments } : {}) };
    return this.runs.manager.transaction(async (manager) => {
      const run = await this.runs.insert(manager, { sessionId: dto.session_id, userId, team, task: dto.task, metadata, progress: initialProgress(team) });
      run.jobId = await this.queue.send(manager, { run_id: run.id }, run.sessionId);
      await this.runs.setJob(manager, run.id, run.jobId);
      return run;
    });
  }

  async get(id: string, userId: string): Promise<Run> {
    const run = await this.runs.findOwned(id, userId);
    if (!run) throw AppException.notFound('Run');
    return run;
  }

  messages(id: string, userId: string) {
    return this.runs.messagesOf(id, userId);
  }

  async list(userId: string, query: { sessionId?: string; status?: RunStatus; limit: number; offset: number }) {
    if (query.sessionId) await this.sessions.get(query.sessionId, userId);
    return this.runs.list(userId, query);
  }

  /** Cancels at once (conditional UPDATE), ends its streams, and stops its worker wherever it is. */
  async cancel(id: string, userId: string): Promise<Run> {
    const run = await this.get(id, userId);
    if (TERMINAL_STATUSES.includes(run.status)) throw new AppException(ErrorCode.Conflict, `The run is already ${run.status}`);
    const ended = await this.cancelRun(run);
    if (!ended) throw new AppException(ErrorCode.Conflict, 'The run ended before it could be cancelled');
    return ended;
  }

  /** For a user-wide feed (seed 003's /api/ws): runs going on, or created since `since`. */
  liveOf(userId: string, since: Date) {
    return this.runs.liveOf(userId, since);
  }

  follow(id: string, afterSeq: number, signal: AbortSignal) {
    return this.events.follow(id, afterSeq, this.config.runs.pollIntervalMs, signal);
  }

  private async cancelRun(run: Run): Promise<Run | null> {
    const ended = await this.runs.finish(run.id, CANCELLABLE, { status: 'cancelled', error: { code: 'CANCELLED', message: 'The run was cancelled' } });
    if (!ended) return null;
    this.worker.abortLocal(run.id, 'cancelled');
    await this.notifier.completed(ended);
    if (run.jobId) await this.queue.cancel(run.jobId);
    return ended;
  }

  private async beforeSessionDelete(sessionId: string, userId: string): Promise<void> {
    for (const run of await this.runs.activeInSession(sessionId, userId)) {
      await this.cancelRun(run);
      // A member mid-turn here may still write a checkpoint: let it stop before the threads go.
      // (On another instance, its worker drops them again when it sees the run gone.)
      await this.worker.stoppedLocally(run.id);
    }
    await this.runs.deleteCheckpoints((await this.runs.idsInSession(sessionId, userId)).map((row) => row.id));
  }
}

function initialProgress(team: TeamSnapshot) {
  const { agents, orchestration } = team;
  const total = orchestration.type === 'round_robin' ? orchestration.max_iterations : agents.length + (orchestration.type === 'supervisor' ? 1 : 0);
  return { current_step: 'queued', completion_percentage: 0, steps_completed: 0, total_steps: total, estimated_time_remaining: null };
}
