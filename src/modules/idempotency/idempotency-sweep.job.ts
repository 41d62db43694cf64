import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { IdempotencyRepository } from './idempotency.repository';

const BATCH = 1000;

/** Deletes expired Idempotency-Key records. Every instance sweeps; DELETE makes that harmless. */
@Injectable()
export class IdempotencySweepJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencySweepJob.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.config.idempotencySweepSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass, in batches; answers how many keys were deleted. */
  sweep(): Promise<number> {
    this.running ??= (async () => {
      let total = 0;
      try {
        for (let deleted = BATCH; deleted === BATCH; total += deleted) deleted = await this.keys.deleteExpired(BATCH);
        if (total) this.logger.log({ count: total }, 'Expired Idempotency-Key records deleted');
      } catch (error) {
        this.logger.warn({ err: error }, 'Idempotency-Key sweep failed');
      }
      return total;
    })().finally(() => (this.running = undefined));
    return this.running;
  }
}
