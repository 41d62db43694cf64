import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PgBoss, type Job, type JobWithMetadata } from 'pg-boss';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { withAdvisoryLock } from '../../database/migrate';
import type { AgentInput } from '../agent/agent.events';

export const RUN_QUEUE = 'runs';
const QUEUE_SETUP_LOCK = 727_374_003;
/** Longer than the longest allowed run (timeout_minutes 120) plus room to finish. */
const JOB_EXPIRE_SECONDS = 2 * 3600 + 600;

export interface RunJobData {
  run_id: string;
  /** A continuation after a consent decision: resume the paused member with these decisions. */
  resume?: AgentInput;
  /**
   * The decided consent request: the worker asks Consent for its tokens (sealed at rest), so the
   * plain tokens never sit in the job table.
   */
  consent_request_id?: string;
  /** How often the run found its session busy (the next look backs off). */
  busy_tries?: number;
}

export type RunJobHandler = (job: Job<RunJobData> | JobWithMetadata<RunJobData>) => Promise<void>;

/** Run jobs in pg-boss by state, as counted at its last monitor pass (every RUN_SUPERVISE_SECONDS). */
export interface RunQueueDepth {
  ready: number;
  deferred: number;
  active: number;
}

/**
 * The pg-boss queue of runs. Sends join the caller's transaction (pg-boss's `db` option over
 * our connection), so a run row and its job commit or roll back together. Jobs are grouped by
 * session with a group concurrency of 1: one run at a time per session, across instances.
 */
@Injectable()
export class RunQueue implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RunQueue.name);
  private started?: Promise<PgBoss>;
  private handler?: RunJobHandler;
  private startError?: Error;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** Registered by the worker before the application boots. */
  setHandler(handler: RunJobHandler): void {
    this.handler = handler;
  }

  /**
   * Starts pg-boss (and this instance's workers) in the background: a cold queue schema must not
   * hold up the HTTP server. Sends and cancels wait for it; health reports a failed start.
   */
  onApplicationBootstrap(): void {
    this.start()
      .then(
        (boss) => this.startWorkers(boss),
        (error: unknown) => {
          this.startError = error as Error;
          this.logger.error({ err: error }, 'pg-boss did not start: runs cannot be queued or executed here');
        },
      )
      .catch((error: unknown) => this.logger.error({ err: error }, 'Run workers did not start'));
  }

  private async startWorkers(boss: PgBoss): Promise<void> {
    if (!this.handler || this.config.runs.workers === 0 || this.stopping) return;
    await boss.work<RunJobData>(
      RUN_QUEUE,
      {
        localConcurrency: this.config.runs.workers,
        groupConcurrency: 1,
        pollingIntervalSeconds: this.config.runs.queuePollMs / 1000,
        heartbeatRefreshSeconds: Math.max(1, Math.floor(this.config.runs.heartbeatSeconds / 3)),
        // createdOn / startAfter / startedOn: the queue-wait metric.
        includeMetadata: true,
      },
      async ([job]) => this.handler!(job),
    );
  }

  start(): Promise<PgBoss> {
    return (this.started ??= this.create());
  }

  async send(manager: EntityManager, data: RunJobData, groupId: string, startAfterSeconds?: number): Promise<string> {
    const boss = await this.start();
    const id = await boss.send(RUN_QUEUE, data, {
      db: { executeSql: async (text, values) => ({ rows: (await manager.queryRunner!.query(text, values, true)).records }) },
      group: { id: groupId },
      retryLimit: this.config.runs.retryLimit,
      ...(startAfterSeconds ? { startAfter: startAfterSeconds } : {}),
    });
    if (!id) throw new Error('pg-boss did not accept the run job');
    return id;
  }

  /** Ends the job wherever it runs: its worker's job.signal aborts at the next heartbeat. */
  async cancel(jobId: string): Promise<void> {
    await (await this.start()).cancel(RUN_QUEUE, jobId).catch((error) => this.logger.warn({ err: error, job_id: jobId }, 'Could not cancel the job'));
  }

  /**
   * Stops this instance taking new run jobs (shutdown); jobs already running carry on, and the
   * graceful stop in onModuleDestroy still waits for them.
   */
  async stopWorking(): Promise<void> {
    this.stopping = true;
    const boss = await this.started?.catch(() => undefined);
    await boss?.offWork(RUN_QUEUE, { wait: false }).catch((error) => this.logger.warn({ err: error }, 'pg-boss offWork failed'));
  }

  /** Queue depth from pg-boss's cached counts (one row, no scan of the job table). */
  async depth(): Promise<RunQueueDepth> {
    if (this.startError) throw this.startError;
    const queue = await (await this.start()).getQueue(RUN_QUEUE);
    return { ready: queue?.readyCount ?? 0, deferred: queue?.deferredCount ?? 0, active: queue?.activeCount ?? 0 };
  }

  /** pg-boss's job table, for queries of our own (health, abandoned runs). */
  get jobTable(): string {
    return `${this.config.runs.queueSchema}.job`;
  }

  /** For health: queue depth and the age of the oldest queued job (zeros before the queue exists). */
  async stats(): Promise<{ queued: number; active: number; oldestQueuedSeconds: number }> {
    if (this.startError) throw this.startError;
    const [exists] = await this.dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS ok`, [this.jobTable]);
    if (!exists.ok) return { queued: 0, active: 0, oldestQueuedSeconds: 0 };
    const [row] = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE state IN ('created', 'retry'))::int AS queued, count(*) FILTER (WHERE state = 'active')::int AS active,
              coalesce(extract(epoch FROM now() - min(created_on) FILTER (WHERE state IN ('created', 'retry'))), 0)::float AS oldest
       FROM ${this.jobTable} WHERE name = $1`,
      [RUN_QUEUE],
    );
    return { queued: row.queued, active: row.active, oldestQueuedSeconds: Math.round(row.oldest) };
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    if (!this.started) return;
    const boss = await this.started.catch(() => undefined);
    await boss?.stop({ graceful: true, timeout: 5000 }).catch((error) => this.logger.warn({ err: error }, 'pg-boss stop failed'));
  }

  private async create(): Promise<PgBoss> {
    const url = (this.dataSource.options as { url?: string }).url;
    const boss = new PgBoss({
      connectionString: url,
      schema: this.config.runs.queueSchema,
      max: 4,
      application_name: 'agent-backend-queue',
      superviseIntervalSeconds: this.config.runs.superviseSeconds,
      monitorIntervalSeconds: this.config.runs.superviseSeconds,
      schedule: false,
    });
    boss.on('error', (error) => this.logger.error({ err: error }, 'pg-boss error'));
    await withAdvisoryLock(this.dataSource, QUEUE_SETUP_LOCK, async () => {
      await boss.start();
      if (!(await boss.getQueue(RUN_QUEUE))) {
        await boss.createQueue(RUN_QUEUE, {
          heartbeatSeconds: this.config.runs.heartbeatSeconds,
          retryLimit: this.config.runs.retryLimit,
          retryDelay: 1,
          expireInSeconds: JOB_EXPIRE_SECONDS,
        });
      }
    });
    return boss;
  }
}
