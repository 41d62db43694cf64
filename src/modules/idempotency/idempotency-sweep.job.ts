import { Injectable } from '@nestjs/common';
import { IntervalJob } from '../../common/lifecycle/interval-job';
import { AppConfig } from '../../config/app-config';
import { IdempotencyRepository } from './idempotency.repository';

const BATCH = 1000;

/** Deletes expired Idempotency-Key records. Every instance sweeps; DELETE makes that harmless. */
@Injectable()
export class IdempotencySweepJob extends IntervalJob<number> {
  constructor(
    private readonly keys: IdempotencyRepository,
    private readonly config: AppConfig,
  ) {
    super();
  }

  protected get intervalSeconds(): number {
    return this.config.idempotencySweepSeconds;
  }

  protected tick(): Promise<number> {
    return this.pass();
  }

  /** One pass, in batches; answers how many keys were deleted (0 while a pass is already running). */
  async sweep(): Promise<number> {
    return (await this.exclusive(() => this.pass())) ?? 0;
  }

  private async pass(): Promise<number> {
    let total = 0;
    try {
      for (let deleted = BATCH; deleted === BATCH; total += deleted) deleted = await this.keys.deleteExpired(BATCH);
      if (total) this.logger.log({ count: total }, 'Expired Idempotency-Key records deleted');
    } catch (error) {
      this.logger.warn({ err: error }, 'Idempotency-Key sweep failed');
    }
    return total;
  }
}
