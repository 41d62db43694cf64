import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { AppConfig } from '../../config/app-config';
import { DatabaseProbe, type ProbeResult } from './database-probe.health';
import { DATABASE, SLOT, SLOT_COUNT, type ProbeWorkerData } from './probe-port.worker';

// Tests run the TypeScript source (Node strips its types); the build runs the compiled .js.
const WORKER_FILE = join(__dirname, `probe-port.worker${extname(__filename)}`);
const WORKER_ARGV = extname(__filename) === '.ts' ? ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'] : [];

function databaseValue(result: ProbeResult): bigint {
  if (!result.ok) return DATABASE.down;
  return result.pending.length === 0 ? DATABASE.up : DATABASE.migrationsPending;
}

/**
 * HEALTH_PORT: /api/live and /api/ready served by a worker thread from shared memory. The main
 * port's probes wait their turn in the event loop, behind whatever request work is queued (a
 * burst of 200 stream starts queues seconds of it); a kubelet's probe timing out there would
 * take a busy but healthy pod out of rotation. Here the main loop only writes a heartbeat and
 * the database check's result; the worker judges them, so a loop that stops running still
 * shows (readiness 503 after HEALTH_LOOP_STALL_MS).
 */
@Injectable()
export class ProbePort implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ProbePort.name);
  private readonly view = new BigInt64Array(new SharedArrayBuffer(SLOT_COUNT * BigInt64Array.BYTES_PER_ELEMENT));
  private worker?: Worker;
  private timer?: NodeJS.Timeout;
  private written?: { result: ProbeResult; at: number };
  /** The port the worker listens on (HEALTH_PORT=0 picks a free one). */
  port?: number;

  constructor(
    private readonly config: AppConfig,
    private readonly database: DatabaseProbe,
    private readonly shutdown: ShutdownService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { port, loopStallMs } = this.config.probes;
    if (port === undefined) return;
    this.beat();
    // A few beats per stall window, so one late timer is not read as a stall.
    this.timer = setInterval(() => this.beat(), Math.max(10, Math.min(250, Math.floor(loopStallMs / 4))));
    this.timer.unref();
    this.shutdown.onShutdown(() => void Atomics.store(this.view, SLOT.shuttingDown, 1n));

    const probePort: ProbeWorkerData = { state: this.view.buffer as SharedArrayBuffer, host: this.config.http.host, port, loopStallMs };
    const worker = new Worker(WORKER_FILE, { workerData: { probePort }, execArgv: WORKER_ARGV, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    this.worker = worker;
    worker.unref();
    try {
      this.port = await new Promise<number>((resolve, reject) => {
        worker.once('message', (message: { listening?: number; error?: string }) =>
          message.listening === undefined ? reject(new Error(`HEALTH_PORT ${port}: ${message.error}`)) : resolve(message.listening),
        );
        worker.once('error', reject);
      });
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    // After start-up, a failure of the probe thread is logged, not fatal: the API still serves.
    worker.on('error', (error) => this.logger.error({ err: error }, 'Probe port worker failed'));
    this.logger.log(`Probes on http://${this.config.http.host}:${this.port}/api/ready and /api/live`);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.worker?.terminate();
  }

  private beat(): void {
    Atomics.store(this.view, SLOT.heartbeatAt, BigInt(Date.now()));
    const latest = this.database.lastResult;
    if (!latest || latest === this.written) return;
    this.written = latest;
    Atomics.store(this.view, SLOT.database, databaseValue(latest.result));
    Atomics.store(this.view, SLOT.databaseCheckedAt, BigInt(latest.at));
  }
}
