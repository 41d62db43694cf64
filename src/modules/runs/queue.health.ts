import { Injectable, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../../config/app-config';
import { HealthRegistry } from '../health/health.registry';
import { RunQueue } from './run-queue';

const STATS_TIMEOUT_MS = 2000;

/** The run queue in /api/health: pg-boss reachable, depth, oldest queued job's age, workers here. */
@Injectable()
export class QueueHealthIndicator implements OnModuleInit {
  constructor(
    private readonly queue: RunQueue,
    private readonly health: HealthIndicatorService,
    private readonly registry: HealthRegistry,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register(async () => {
      const indicator = this.health.check('queue');
      try {
        const stats = await Promise.race([
          this.queue.stats(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), STATS_TIMEOUT_MS).unref()),
        ]);
        return indicator.up({
          queued: stats.queued,
          active: stats.active,
          oldest_queued_seconds: stats.oldestQueuedSeconds,
          workers: this.config.runs.workers,
          role: this.config.role,
        });
      } catch (error) {
        return indicator.down({ message: `pg-boss unreachable: ${(error as Error).message}` });
      }
    });
  }
}
