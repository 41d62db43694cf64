import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job, PgBoss } from 'pg-boss';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { withAdvisoryLock } from '../../database/migrate';
import { RunQueue } from '../runs/run-queue';
import type { NotificationChannel, NotificationKind } from './notification-delivery.entity';
import type { RunSummary } from './notification-messages';

export const NOTIFICATION_QUEUE = 'notifications';
const QUEUE_SETUP_LOCK = 727_374_017;

export interface NotificationJobData {
  delivery_id: string;
  kind: NotificationKind;
  channel: NotificationChannel;
  user_id: string;
  /** The consent request or run. */
  subject_id: string;
  run?: RunSummary;
}

export type NotificationJobHandler = (job: Job<NotificationJobData>) => Promise<void>;

/**
 * The pg-boss queue of deliveries, on the boss the run queue starts (one pg-boss per process).
 * Retries back off exponentially (NOTIFY_RETRY_*); workers run where run workers run.
 */
@Injectable()
export class NotificationQueue implements OnApplicationBootstrap {
  private readonly logger = new Logger(NotificationQueue.name);
  private ready?: Promise<PgBoss>;
  private handler?: NotificationJobHandler;

  constructor(
    private readonly runQueue: RunQueue,
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  setHandler(handler: NotificationJobHandler): void {
    this.handler = handler;
  }

  onApplicationBootstrap(): void {
    this.boss()
      .then((boss) => this.startWorkers(boss))
      .catch((error: unknown) => this.logger.error({ err: error }, 'Notification queue did not start: notifications are not delivered here'));
  }

  /** Queues one delivery, now or at `startAfter`. */
  async send(data: NotificationJobData, startAfter?: Date): Promise<void> {
    const boss = await this.boss();
    await boss.send(NOTIFICATION_QUEUE, data, { ...this.retryOptions(), ...(startAfter && { startAfter }) });
  }

  private boss(): Promise<PgBoss> {
    return (this.ready ??= this.runQueue.start().then(async (boss) => {
      await withAdvisoryLock(this.dataSource, QUEUE_SETUP_LOCK, async () => {
        if (await boss.getQueue(NOTIFICATION_QUEUE)) return;
        // A delivery is a few bounded calls; a worker that died with one is retried soon.
        await boss.createQueue(NOTIFICATION_QUEUE, { ...this.retryOptions(), expireInSeconds: 120 });
      });
      return boss;
    }));
  }

  /** Also set per job: a queue created under other settings still follows this configuration. */
  private retryOptions() {
    const { retryLimit, retryDelaySeconds, retryDelayMaxSeconds } = this.config.notifications;
    return { retryLimit, retryDelay: retryDelaySeconds, retryBackoff: true, retryDelayMax: retryDelayMaxSeconds };
  }

  private async startWorkers(boss: PgBoss): Promise<void> {
    if (!this.handler || this.config.runs.workers === 0) return;
    await boss.work<NotificationJobData>(
      NOTIFICATION_QUEUE,
      { localConcurrency: Math.min(2, this.config.runs.workers), pollingIntervalSeconds: this.config.runs.queuePollMs / 1000 },
      async ([job]) => this.handler!(job),
    );
  }
}
