import { Injectable, Logger } from '@nestjs/common';

type ShutdownHandler = () => void | Promise<void>;

/**
 * Graceful-shutdown coordination. When shutdown begins, readiness answers 503 at once and
 * every registered handler runs: modules with long-lived connections (SSE streams, sockets)
 * register one to send a final event and close, so the HTTP server can drain.
 */
@Injectable()
export class ShutdownService {
  private readonly logger = new Logger(ShutdownService.name);
  private readonly handlers = new Set<ShutdownHandler>();
  private shuttingDown = false;

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Registers a handler; returns a function that unregisters it (call it when the connection ends). */
  onShutdown(handler: ShutdownHandler): () => void {
    if (this.shuttingDown) {
      void Promise.resolve().then(handler);
      return () => undefined;
    }
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async beginShutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    const handlers = [...this.handlers];
    this.handlers.clear();
    const results = await Promise.allSettled(handlers.map(async (handler) => handler()));
    for (const result of results) {
      if (result.status === 'rejected') this.logger.warn({ err: result.reason }, 'Shutdown handler failed');
    }
  }
}
