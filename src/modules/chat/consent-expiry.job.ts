import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { ConsentRepository } from '../consent/consent.repository';
import { ConsentService } from '../consent/consent.service';
import { ChatService } from './chat.service';

const BATCH = 20;

/**
 * Resolves consent requests nobody answered before CONSENT_TTL as rejected, and resumes their
 * agents. Every instance sweeps; the conditional UPDATE gives each request to one of them.
 */
@Injectable()
export class ConsentExpiryJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ConsentExpiryJob.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly consents: ConsentRepository,
    private readonly consentService: ConsentService,
    private readonly chat: ChatService,
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
    let count = 0;
    this.running = (async () => {
      try {
        const expired = await this.consents.expireDue(BATCH);
        for (const request of expired) {
          await this.chat.resume(request, this.consentService.expiredDecisions(request));
        }
        count = expired.length;
        if (count) this.logger.log({ count }, 'Expired consent requests resolved as rejected');
      } catch (error) {
        this.logger.error({ err: error }, 'Consent expiry sweep failed');
      }
    })();
    await this.running;
    this.running = undefined;
    return count;
  }
}
