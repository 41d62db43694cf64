import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import type { PlainConnection, PlainFrame, PlainProtocol } from '../realtime/plain-ws.server';
import { PlainWsServer } from '../realtime/plain-ws.server';
import { validateSubscribeRun } from './runs.realtime';
import { RunsService } from './runs.service';

export const RUNS_WS_PATH = '/api/ws';
/** How often a feed looks for the user's new runs (they may be created on any instance). */
const DISCOVER_MS = 1000;

interface Feed {
  since: Date;
  following: Map<string, AbortController>;
  /** After `subscribe_run`: only these runs' events; null: every run of the user. */
  only: Set<string> | null;
  timer?: NodeJS.Timeout;
  discovering: boolean;
}

/**
 * Seed 003's `/api/ws?token=`: `{type, data}` frames with the events of all the user's runs
 * (`run_progress`, `agent_message`, ..., `run_completed`), read with RunsService.follow exactly
 * as the Socket.IO `subscribe_run` reads them. `{type: "subscribe_run", run_id}` (or
 * `data: {run_id}`) narrows the feed to the runs named; `ping` answers `pong`.
 */
@Injectable()
export class RunsPlainWs implements OnModuleInit, PlainProtocol {
  private readonly logger = new Logger(RunsPlainWs.name);
  private readonly feeds = new WeakMap<PlainConnection, Feed>();

  constructor(
    private readonly server: PlainWsServer,
    private readonly runs: RunsService,
  ) {}

  onModuleInit(): void {
    this.server.register(RUNS_WS_PATH, this);
  }

  onOpen(connection: PlainConnection): void {
    const feed: Feed = { since: new Date(), following: new Map(), only: null, discovering: false };
    this.feeds.set(connection, feed);
    feed.timer = setInterval(() => void this.discover(connection, feed), DISCOVER_MS);
    void this.discover(connection, feed);
    connection.onClose(() => {
      clearInterval(feed.timer);
      for (const controller of feed.following.values()) controller.abort();
    });
  }

  async onFrame(connection: PlainConnection, frame: PlainFrame): Promise<void> {
    const feed = this.feeds.get(connection);
    if (!feed) return;
    switch (frame.type) {
      case 'ping':
        return connection.send({ type: 'pong', data: { timestamp: new Date().toISOString() } });
      case 'subscribe_run': {
        const dto = await validateSubscribeRun(payloadOf(frame));
        const run = await this.runs.get(dto.run_id, connection.user.id);
        feed.only ??= new Set();
        feed.only.add(run.id);
        // Like Socket.IO's subscribe_run: the run's events from the start (or after last_event_id),
        // also when the feed skipped them before; frames carry `id` for clients that dedupe.
        this.follow(connection, feed, run.id, dto.last_event_id ?? 0);
        return connection.send({ type: 'subscribed', data: { run_id: run.id, status: run.status } });
      }
      case 'unsubscribe_run': {
        const dto = await validateSubscribeRun(payloadOf(frame));
        feed.only?.delete(dto.run_id);
        return connection.send({ type: 'unsubscribed', data: { run_id: dto.run_id } });
      }
      default:
        throw AppException.validation({ type: [`unknown frame type "${frame.type}"; expected subscribe_run, unsubscribe_run or ping`] });
    }
  }

  /** Follows runs it does not follow yet: new ones from their first event, older ones from now. */
  private async discover(connection: PlainConnection, feed: Feed): Promise<void> {
    if (feed.discovering) return;
    feed.discovering = true;
    try {
      for (const run of await this.runs.liveOf(connection.user.id, feed.since)) {
        if (!feed.following.has(run.id)) this.follow(connection, feed, run.id, run.createdAt >= feed.since ? 0 : run.eventSeq);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not look for new runs; retrying');
    } finally {
      feed.discovering = false;
    }
  }

  private follow(connection: PlainConnection, feed: Feed, runId: string, afterSeq: number): void {
    feed.following.get(runId)?.abort();
    const controller = new AbortController();
    // Kept after the run ends, so discovery does not follow it again.
    feed.following.set(runId, controller);
    void (async () => {
      try {
        for await (const event of this.runs.follow(runId, afterSeq, controller.signal)) {
          if (feed.only && !feed.only.has(runId)) continue;
          connection.send({ type: event.type, data: { ...event.data, id: event.seq, run_id: runId } });
        }
      } catch (error) {
        this.logger.warn({ err: error, run_id: runId }, 'Run feed ended with an error');
      }
    })();
  }
}

/** Seed 003 writes `{type, run_id}`; `{type, data: {run_id}}` is accepted too. */
function payloadOf(frame: PlainFrame): unknown {
  if (frame.data !== undefined) return frame.data;
  return Object.fromEntries(Object.entries(frame).filter(([key]) => key !== 'type'));
}
