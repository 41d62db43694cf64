import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Job, JobWithMetadata } from 'pg-boss';
import { Counter, Gauge, Histogram } from 'prom-client';
import { AppMetrics } from '../metrics/app-metrics';
import { RunQueue } from './run-queue';
import type { RunStatus } from './run.entity';
import { RunsRepository } from './runs.repository';

/** A scrape must answer even when the database does not: a slow read keeps the last values. */
const SCRAPE_READ_TIMEOUT_MS = 1000;
/** Seconds a ready job waits for a worker: sub-second when workers are free, minutes when saturated. */
const WAIT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/**
 * The runs' Prometheus series. Unfinished runs by status and the queue depth are read when
 * scraped (the same values from every instance: aggregate with max, not sum); finished runs and
 * the queue wait are counted by the instance that saw them (sum across instances).
 */
@Injectable()
export class RunMetrics implements OnModuleInit {
  private readonly logger = new Logger(RunMetrics.name);
  private finished?: Counter<'status'>;
  private queueWait?: Histogram;

  constructor(
    private readonly metrics: AppMetrics,
    private readonly runs: RunsRepository,
    private readonly queue: RunQueue,
  ) {}

  onModuleInit(): void {
    const registers = [this.metrics.registry];
    const read = this.read.bind(this);
    this.finished = new Counter({
      name: 'runs_finished_total',
      help: 'Runs ended on this instance, by final status (completed, failed, cancelled, timed_out)',
      labelNames: ['status'],
      registers,
    });
    this.queueWait = new Histogram({
      name: 'runs_queue_wait_seconds',
      help: 'Time a run job waited in the queue, from ready (sent, or its retry delay over) to a worker taking it',
      buckets: WAIT_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'runs_active',
      help: 'Unfinished runs of every instance, by status (queued, running, awaiting_consent)',
      labelNames: ['status'],
      registers,
      async collect() {
        const counts = await read('runs by status', (runs) => runs.countUnfinished());
        if (counts) for (const [status, count] of Object.entries(counts)) this.set({ status }, count);
      },
    });
    const queue = this.queue;
    new Gauge({
      name: 'runs_queue_jobs',
      help: 'Run jobs in the queue by state (ready, deferred, active), as of pg-boss\'s last monitor pass (RUN_SUPERVISE_SECONDS)',
      labelNames: ['state'],
      registers,
      async collect() {
        const depth = await read('queue depth', () => queue.depth());
        if (depth) for (const [state, count] of Object.entries(depth)) this.set({ state }, count);
      },
    });
  }

  runFinished(status: RunStatus): void {
    this.finished?.inc({ status });
  }

  /** Called when a worker took a job: startedOn − startAfter (startAfter is createdOn unless delayed). */
  jobStarted(job: Job | JobWithMetadata): void {
    if (!('startAfter' in job) || !job.startAfter) return;
    const started = job.startedOn ? new Date(job.startedOn).getTime() : Date.now();
    this.queueWait?.observe(Math.max(0, started - new Date(job.startAfter).getTime()) / 1000);
  }

  private async read<T>(what: string, query: (runs: RunsRepository) => Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        query(this.runs),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${SCRAPE_READ_TIMEOUT_MS} ms`)), SCRAPE_READ_TIMEOUT_MS))),
      ]);
    } catch (error) {
      this.logger.warn({ err: error }, `Metrics: could not read ${what}`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
