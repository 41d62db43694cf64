import { Injectable } from '@nestjs/common';
import { IntervalJob } from '../../common/lifecycle/interval-job';
import { AppConfig } from '../../config/app-config';
import { ConsentService } from './consent.service';

const BATCH = 20;

/**
 * Resolves consent requests nobody answered before CONSENT_TTL as rejected, and resumes what
 * they paused; then resumes decisions whose resume was lost (nothing stays approved and idle).
 * Every instance sweeps; conditional UPDATEs give each request to one of them.
 */
@Injectable()
export class ConsentExpiryJob extends IntervalJob<number> {
  constructor(
    private readonly consents: ConsentService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  protected get intervalSeconds(): number {
    return this.config.chat.consentSweepIntervalSeconds;
  }

  protected tick(): Promise<number> {
    return this.pass();
  }

  /** One pass; returns how many requests expired (0 while a pass is already running). */
  async sweep(): Promise<number> {
    return (await this.exclusive(() => this.pass())) ?? 0;
  }

  private async pass(): Promise<number> {
    const expired = await this.consents.expireDue(BATCH).catch((error) => {
      this.logger.error({ err: error }, 'Consent expiry sweep failed');
      return 0;
    });
    if (expired) this.logger.log({ count: expired }, 'Expired consent requests resolved as rejected');
    const resumed = await this.consents.resumeLost(BATCH).catch((error) => {
      this.logger.error({ err: error }, 'Consent resume sweep failed');
      return 0;
    });
    if (resumed) this.logger.log({ count: resumed }, 'Lost consent resumes resumed');
    return expired;
  }
}
