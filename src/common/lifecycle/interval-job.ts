import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

/**
 * A background pass repeated every few seconds on each instance (sweeps, expiries): one pass at
 * a time per instance, the timer never holds the process open, and shutdown waits for the pass
 * in flight. Subclasses say how often and what one pass does; a failed timed pass is logged.
 */
export abstract class IntervalJob<T> implements OnApplicationBootstrap, OnApplicationShutdown {
  protected readonly logger = new Logger(this.constructor.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<T>;

  protected abstract get intervalSeconds(): number;

  /** What the timer runs. */
  protected abstract tick(): Promise<T>;

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.exclusive(() => this.tick()).catch((error: unknown) => this.logger.error({ err: error }, 'Background pass failed')),
      this.intervalSeconds * 1000,
    );
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Runs `pass` unless a pass is already running here (then answers undefined). */
  protected async exclusive(pass: () => Promise<T>): Promise<T | undefined> {
    if (this.running) return undefined;
    this.running = pass();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }
}
