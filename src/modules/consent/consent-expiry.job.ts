import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { ConsentService } from './consent.service';

const BATCH = 20;

/**
 * Resolves consent requests nobody answered before CONSENT_TTL as rejected, and resumes what
 * they paused; then resumes decisions whose resume was lost (nothing stays approved and idle).
 * Every instance sweeps; conditional UPDATEs give each request to one of them.
 */
@Injectable()
export class ConsentExpiryJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ConsentExpiryJob.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly consents: ConsentService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.config.chat.consentSweepIntervalSeconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns how many requests expired. */
  async sweep(): Promise<number> {
    if (this.running) return 0;
    this.running = this.pass();
    const count = await this.running;
    this.running = undefined;
    return count;
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
