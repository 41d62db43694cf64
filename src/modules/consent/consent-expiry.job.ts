import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { ConsentService } from './consent.service';

const BATCH = 20;

/**
 * Resolves consent requests nobody answered before CONSENT_TTL as rejected, and resumes what
 * they paused. Every instance sweeps; the conditional UPDATE gives each request to one of them.
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
    this.running = this.consents.expireDue(BATCH).catch((error) => {
      this.logger.error({ err: error }, 'Consent expiry sweep failed');
      return 0;
    });
    const count = await this.running;
    this.running = undefined;
    if (count) this.logger.log({ count }, 'Expired consent requests resolved as rejected');
    return count;
  }
}
