import type { Response } from 'express';
import { ErrorCode } from '../errors/error-code';
import type { ShutdownService } from '../lifecycle/shutdown.service';

export interface SseEvent {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

/**
 * One Server-Sent Events response: `id/event/data` frames, heartbeat comments so proxies keep
 * the connection, `data: [DONE]` at the end, and a final `error` event if the server shuts
 * down first (an open stream would otherwise hold the process).
 */
export class SseStream {
  /** Streams open in this process, for the `http_sse_streams_active` gauge. */
  static openCount = 0;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unregister: () => void;
  private ended = false;
  private readonly closeHandlers: Array<() => void> = [];

  constructor(
    private readonly res: Response,
    shutdown: ShutdownService,
    heartbeatSeconds: number,
  ) {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    SseStream.openCount++;
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), heartbeatSeconds * 1000);
    this.unregister = shutdown.onShutdown(() => {
      this.send({ id: 0, type: 'error', data: { code: ErrorCode.ServiceUnavailable, message: 'The server is shutting down; re-attach with Last-Event-ID' } }, false);
      this.end();
    });
    res.on('close', () => this.cleanup());
  }

  get isOpen(): boolean {
    return !this.ended;
  }

  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }

  /** `withId: false` for frames that are not part of the conversation's event sequence. */
  send(event: SseEvent, withId = true): void {
    const id = withId ? `id: ${event.id}\n` : '';
    this.write(`${id}event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
  }

  end(): void {
    if (this.ended) return;
    this.write('data: [DONE]\n\n');
    this.cleanup();
    this.res.end();
  }

  private write(chunk: string): void {
    if (!this.ended && !this.res.writableEnded) this.res.write(chunk);
  }

  private cleanup(): void {
    if (this.ended) return;
    this.ended = true;
    SseStream.openCount--;
    clearInterval(this.heartbeat);
    this.unregister();
    for (const handler of this.closeHandlers) handler();
  }
}

/** Streams `events` as one SSE response until they end or the client leaves. */
export async function pipeSse(
  res: Response,
  shutdown: ShutdownService,
  heartbeatSeconds: number,
  events: (signal: AbortSignal) => AsyncIterable<SseEvent>,
): Promise<void> {
  const sse = new SseStream(res, shutdown, heartbeatSeconds);
  const abort = new AbortController();
  let following = true;
  // Only a client that leaves mid-stream stops the events (an abort costs an AbortError with its stack).
  sse.onClose(() => {
    if (following) abort.abort();
  });
  try {
    for await (const event of events(abort.signal)) {
      if (!sse.isOpen) break;
      sse.send(event);
    }
  } finally {
    following = false;
    sse.end();
  }
}

export function wantsEventStream(req: { headers: { accept?: string } }): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream');
}
