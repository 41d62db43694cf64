import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS_TABLE } from '../../database/data-source-options';

const PROBE_TIMEOUT_MS = 1000;
/** How often the background check runs; readiness answers from its latest result. */
const REFRESH_MS = 1000;
/** A result older than this (the loop stalled, or none yet) is not trusted: readiness checks anew. */
const STALE_MS = 3000;

export type ProbeResult = { ok: true; pending: string[] } | { ok: false; message: string };

/**
 * Readiness's own database connection, outside the pool: under load every pooled connection
 * can be busy with streams, and a probe queued behind them would report a healthy database
 * as down. One short query answers both "reachable" and "migrated"; a failed or slow probe
 * drops the connection, and the next probe opens a new one (recovery needs no restart).
 * The check runs in the background every second and readiness answers from its latest result,
 * so a probe does no I/O: under load it costs one pass of the event loop, not a database round
 * trip on top (a database that goes away still shows within ~2 s).
 */
@Injectable()
export class DatabaseProbe implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DatabaseProbe.name);
  private client?: Promise<Client>;
  private inFlight?: Promise<ProbeResult>;
  private latest?: { result: ProbeResult; at: number };
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly health: HealthIndicatorService,
  ) {}

  onApplicationBootstrap(): void {
    void this.run();
    this.timer = setInterval(() => void this.run(), REFRESH_MS);
    this.timer.unref();
  }

  /** The latest result and when it was taken (none before the first check ends). */
  get lastResult(): { result: ProbeResult; at: number } | undefined {
    return this.latest;
  }

  /** The latest background result while fresh; otherwise a check now (shared with any in flight). */
  current(): Promise<ProbeResult> {
    const latest = this.latest;
    if (latest && Date.now() - latest.at <= STALE_MS) return Promise.resolve(latest.result);
    return this.run();
  }

  /** Concurrent checks share one query. */
  run(): Promise<ProbeResult> {
    this.inFlight ??= this.query()
      .then((result) => {
        this.latest = { result, at: Date.now() };
        return result;
      })
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  async database(result: Promise<ProbeResult>, key = 'database') {
    const outcome = await result;
    const indicator = this.health.check(key);
    return outcome.ok ? indicator.up() : indicator.down({ message: outcome.message });
  }

  async migrations(result: Promise<ProbeResult>, key = 'migrations') {
    const outcome = await result;
    const indicator = this.health.check(key);
    if (!outcome.ok) return indicator.down({ message: 'database unavailable' });
    return outcome.pending.length === 0 ? indicator.up() : indicator.down({ pending: outcome.pending });
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
    await this.drop();
  }

  private async query(): Promise<ProbeResult> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = (async () => {
        const client = await this.connect();
        const { rows } = await client.query<{ name: string }>(`SELECT name FROM "${MIGRATIONS_TABLE}"`);
        return rows.map((row) => row.name);
      })();
      work.catch(() => undefined); // when the timeout wins, its late failure is already handled
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      });
      const applied = new Set(await Promise.race([work, timeout]));
      const pending = this.dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
      return { ok: true, pending };
    } catch (error) {
      await this.drop();
      return { ok: false, message: error instanceof Error ? error.message : 'unknown error' };
    } finally {
      clearTimeout(timer);
    }
  }

  private connect(): Promise<Client> {
    this.client ??= (async () => {
      const options = this.dataSource.options as { url?: string };
      const client = new Client({ connectionString: options.url, connectionTimeoutMillis: PROBE_TIMEOUT_MS, application_name: 'agent-backend-probe' });
      // An idle connection that dies (server restart) must not crash the process; drop it.
      client.on('error', (error) => {
        this.logger.warn({ err: error }, 'Readiness database connection lost');
        void this.drop();
      });
      await client.connect();
      return client;
    })();
    this.client.catch(() => undefined);
    return this.client;
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await client.then((c) => c.end()).catch(() => undefined);
  }
}
