import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { ApiCallCount, ApiCallsRepository } from './api-calls.repository';

/**
 * Counts API calls in memory per user, UTC day, method and route template, and writes them with
 * one upsert every USAGE_FLUSH_INTERVAL and at shutdown: a request costs a map update, not a
 * row. A crash loses at most one interval of counts, which is acceptable for analytics.
 */
@Injectable()
export class ApiCallCounter implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(ApiCallCounter.name);
  private pending = new Map<string, ApiCallCount>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly calls: ApiCallsRepository,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.usage.flushIntervalSeconds * 1000);
    this.timer.unref();
  }

  count(userId: string, method: string, route: string, now = Date.now()): void {
    const day = this.utcDay(now);
    const key = `${userId} ${day} ${method} ${route}`;
    const existing = this.pending.get(key);
    if (existing) existing.calls++;
    else this.pending.set(key, { userId, day, method, route, calls: 1 });
  }

  private day = { name: '', from: 0, to: 0 };

  /** `YYYY-MM-DD` (UTC) of `now`, formatted once per day rather than once per request. */
  private utcDay(now: number): string {
    if (now < this.day.from || now >= this.day.to) {
      const from = Math.floor(now / 86_400_000) * 86_400_000;
      this.day = { name: new Date(from).toISOString().slice(0, 10), from, to: from + 86_400_000 };
    }
    return this.day.name;
  }

  /** Writes what is pending; one flush at a time. A failed batch is kept for the next one. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      try {
        await this.calls.add([...batch.values()]);
      } catch (error) {
        this.logger.warn({ err: error, rows: batch.size }, 'Could not write API call counts; retrying with the next flush');
        for (const [key, count] of batch) {
          const newer = this.pending.get(key);
          if (newer) newer.calls += count.calls;
          else this.pending.set(key, count);
        }
      }
    });
    return this.flushing;
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
