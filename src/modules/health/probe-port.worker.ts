// Runs in a worker thread (see probe-port.ts): answers /api/live and /api/ready on HEALTH_PORT
// from shared memory the main thread keeps current, so a probe is answered within a millisecond
// even while the main event loop works through a queue of requests. Plain, erasable TypeScript
// with no local imports: the tests run this file as it is (Node strips the types); the build
// runs its compiled .js.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Slots of the shared BigInt64Array: the main thread writes them, this thread only reads. */
export const SLOT = { heartbeatAt: 0, databaseCheckedAt: 1, database: 2, shuttingDown: 3 } as const;
export const SLOT_COUNT = 4;
/** Values of SLOT.database. */
export const DATABASE = { unknown: 0n, up: 1n, down: 2n, migrationsPending: 3n } as const;

/** A database result older than this is not trusted (the main thread refreshes it every second). */
const DATABASE_STALE_MS = 3000;
/** Liveness fails only when the main loop has not run for this long: a restart is the cure then. */
const LIVE_STALL_MS = 10_000;

export interface ProbeWorkerData {
  state: SharedArrayBuffer;
  host: string;
  port: number;
  /** Readiness fails when the main loop's heartbeat is older than this. */
  loopStallMs: number;
}

export interface ProbeAnswer {
  status: 200 | 503;
  body: { status: 'ok' | 'error'; info: Record<string, unknown>; error: Record<string, unknown>; details: Record<string, unknown> };
}

type Indicator = { status: 'up' } | { status: 'down'; message: string };

/** The Terminus-shaped answer the main port gives too: `ok` only when every indicator is up. */
function answer(indicators: Record<string, Indicator>): ProbeAnswer {
  const info: Record<string, Indicator> = {};
  const error: Record<string, Indicator> = {};
  for (const [key, value] of Object.entries(indicators)) (value.status === 'up' ? info : error)[key] = value;
  const ok = Object.keys(error).length === 0;
  return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'error', info, error, details: indicators } };
}

function loopIndicator(view: BigInt64Array, now: number, stallMs: number): Indicator {
  const age = now - Number(Atomics.load(view, SLOT.heartbeatAt));
  return age <= stallMs ? { status: 'up' } : { status: 'down', message: `the event loop has not run for ${age} ms` };
}

/** Readiness from shared state: not shutting down, the main loop running, the database checked recently and migrated. */
export function readiness(view: BigInt64Array, now: number, loopStallMs: number): ProbeAnswer {
  const checkedAge = now - Number(Atomics.load(view, SLOT.databaseCheckedAt));
  const database = Atomics.load(view, SLOT.database);
  const fresh = checkedAge <= DATABASE_STALE_MS;
  const databaseUp = fresh && (database === DATABASE.up || database === DATABASE.migrationsPending);
  return answer({
    lifecycle: Atomics.load(view, SLOT.shuttingDown) === 0n ? { status: 'up' } : { status: 'down', message: 'shutting down' },
    event_loop: loopIndicator(view, now, loopStallMs),
    database: databaseUp ? { status: 'up' } : { status: 'down', message: fresh ? 'database unavailable' : 'no recent database check' },
    migrations:
      database === DATABASE.up && fresh
        ? { status: 'up' }
        : { status: 'down', message: database === DATABASE.migrationsPending ? 'migrations pending' : 'database unavailable' },
  });
}

/** Liveness: the main loop has run within LIVE_STALL_MS. */
export function liveness(view: BigInt64Array, now: number): ProbeAnswer {
  return answer({ event_loop: loopIndicator(view, now, LIVE_STALL_MS) });
}

function serve({ state, host, port, loopStallMs }: ProbeWorkerData): void {
  const view = new BigInt64Array(state);
  const send = (res: ServerResponse, { status, body }: ProbeAnswer, head: boolean) => {
    const json = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json), 'Cache-Control': 'no-store' });
    res.end(head ? undefined : json);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0].replace(/\/$/, '');
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    } else if (path === '/api/ready') {
      send(res, readiness(view, Date.now(), loopStallMs), head);
    } else if (path === '/api/live') {
      send(res, liveness(view, Date.now()), head);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Only /api/live and /api/ready are served on this port\n');
    }
  });
  server.on('error', (error: Error) => parentPort?.postMessage({ error: error.message }));
  server.listen(port, host, () => {
    const address = server.address();
    parentPort?.postMessage({ listening: typeof address === 'object' && address ? address.port : port });
  });
}

if (!isMainThread && (workerData as { probePort?: ProbeWorkerData } | undefined)?.probePort) {
  serve((workerData as { probePort: ProbeWorkerData }).probePort);
}
