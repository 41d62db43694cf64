import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { IsInt, IsOptional, IsUUID, Min } from 'class-validator';
import { normalizeError } from '../../common/errors/error-body';
import { AppException } from '../../common/errors/app.exception';
import { createValidationPipe } from '../../common/http/validation';
import { RealtimeEmitter } from '../realtime/realtime.emitter';
import { Ack, runRoom, type RealtimeSocket } from '../realtime/realtime.events';
import { SocketRateLimitGuard } from '../realtime/socket-rate-limit.guard';
import { RunsService } from './runs.service';

export class SubscribeRunDto {
  @IsUUID()
  run_id: string;

  /** Replay only what came after this event id (as Last-Event-ID on SSE). */
  @IsOptional()
  @IsInt()
  @Min(0)
  last_event_id?: number;
}

const validation = createValidationPipe();

/**
 * `subscribe_run {run_id, last_event_id?}` on /assistant/realtime: the owner's socket gets the
 * run's events in order (replayed from the event log, then live) until run_completed.
 * `unsubscribe_run {run_id}` stops them.
 */
@Injectable()
export class RunsRealtime implements OnModuleInit {
  private readonly logger = new Logger(RunsRealtime.name);

  constructor(
    private readonly realtime: RealtimeEmitter,
    private readonly runs: RunsService,
    private readonly budget: SocketRateLimitGuard,
  ) {}

  onModuleInit(): void {
    this.realtime.onConnection((socket) => this.attach(socket));
  }

  private attach(socket: RealtimeSocket): void {
    const following = new Map<string, AbortController>();
    const raw = socket as unknown as { on(event: string, listener: (payload: unknown, ack?: (result: Ack) => void) => void): void };
    // Run events are client events like the gateway's: they spend the same per-user budget.
    const userId = socket.data.user.id;
    raw.on('subscribe_run', (payload, ack) => void this.reply(ack, userId, () => this.subscribe(socket, following, payload)));
    raw.on('unsubscribe_run', (payload, ack) =>
      void this.reply(ack, userId, async () => {
        const { run_id } = await validateSubscribeRun(payload);
        following.get(run_id)?.abort();
        following.delete(run_id);
        await socket.leave(runRoom(run_id));
        return { run_id };
      }),
    );
    socket.on('disconnect', () => {
      for (const controller of following.values()) controller.abort();
    });
  }

  private async subscribe(socket: RealtimeSocket, following: Map<string, AbortController>, payload: unknown) {
    const dto = await validateSubscribeRun(payload);
    const run = await this.runs.get(dto.run_id, socket.data.user.id);
    following.get(run.id)?.abort();
    const controller = new AbortController();
    following.set(run.id, controller);
    await socket.join(runRoom(run.id));
    void (async () => {
      try {
        for await (const event of this.runs.follow(run.id, dto.last_event_id ?? 0, controller.signal)) {
          socket.emit(event.type as 'run_status', { ...event.data, id: event.seq, run_id: run.id });
        }
      } catch (error) {
        this.logger.warn({ err: error, run_id: run.id }, 'Run subscription ended with an error');
      } finally {
        if (following.get(run.id) === controller) following.delete(run.id);
      }
    })();
    return { run_id: run.id, status: run.status };
  }

  private async reply(ack: ((result: Ack) => void) | undefined, userId: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await this.budget.spend(userId);
      const data = await work();
      ack?.({ ok: true, data });
    } catch (error) {
      const { exception } = normalizeError(error);
      ack?.({ ok: false, error: { code: exception.code, message: exception.message, ...(exception.details && { details: exception.details }) } });
    }
  }
}

export async function validateSubscribeRun(payload: unknown): Promise<SubscribeRunDto> {
  const value = payload ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) throw AppException.validation({ payload: ['must be an object'] });
  return (await validation.transform(value, { type: 'body', metatype: SubscribeRunDto })) as SubscribeRunDto;
}
