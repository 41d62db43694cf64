import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ShutdownService } from '../../src/common/lifecycle/shutdown.service';
import { ProbePort } from '../../src/modules/health/probe-port';
import { createApp } from '../../src/server';
import { testConfig, testDatabaseUrl } from '../helpers/app';
import { TcpProxy } from '../helpers/tcp-proxy';

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<{ value: T; elapsedMs: number }> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return { value, elapsedMs: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

type Probe = { at: number; ms: number; status: number; body: { error: Record<string, { message?: string }> } };

/**
 * GETs `url` at each delay (ms after it says "ready") from a process of its own, so the probes
 * go out while this process's event loop is blocked; prints what each got.
 */
function probeFromOutside(url: string, delaysMs: number[]): { started: Promise<void>; results: Promise<Probe[]> } {
  const script = `
    const [url, ...delays] = process.argv.slice(1);
    const t0 = Date.now();
    Promise.all(delays.map((delay) => new Promise((resolve) => setTimeout(async () => {
      const at = Date.now() - t0;
      const res = await fetch(url);
      resolve({ at, ms: Date.now() - t0 - at, status: res.status, body: await res.json() });
    }, Number(delay))))).then((results) => process.stdout.write(JSON.stringify(results)));
    process.stdout.write('ready\\n');`;
  const child = spawn(process.execPath, ['-e', script, url, ...delaysMs.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  let signalStarted: () => void;
  const started = new Promise<void>((resolve) => (signalStarted = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.startsWith('ready\n')) signalStarted();
  });
  const results = new Promise<Probe[]>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(output.slice('ready\n'.length)) as Probe[]) : reject(new Error(`prober exited with ${code}`)))),
  );
  return { started, results };
}

function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // a synchronous task that hogs this thread, as a long request would
  }
}

/**
 * /api/ready answers from a background database check (every second, on a connection of its
 * own): it stays 200 while the pool is held by slow work, and still turns 503 within ~2 s of the
 * database going away (and 200 again once it is back).
 */
describe('Readiness from the background database check', () => {
  let proxy: TcpProxy;
  let url: string;
  let probeUrl: string;
  let dataSource: DataSource;
  let app: Awaited<ReturnType<typeof createApp>>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    proxy = await TcpProxy.forUrl(testDatabaseUrl()).start();
    const config = testConfig({ DATABASE_POOL_SIZE: '2', API_HOST: '127.0.0.1', HEALTH_PORT: '0', HEALTH_LOOP_STALL_MS: '500' });
    app = await createApp(config, proxy.urlFor(testDatabaseUrl()));
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as { port: number }).port}`;
    probeUrl = `http://127.0.0.1:${app.get(ProbePort).port}`;
    dataSource = app.get(DataSource);
    close = async () => {
      await app.get(ShutdownService).beginShutdown();
      await app.close();
    };
  });
  afterAll(async () => {
    await close?.();
    await proxy?.stop();
  });

  it('stays 200 and fast while every pool connection is busy', async () => {
    const busy = [dataSource.query('SELECT pg_sleep(3)'), dataSource.query('SELECT pg_sleep(3)')];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const probes = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const started = Date.now();
        const res = await request(url).get('/api/ready');
        return { status: res.status, ms: Date.now() - started };
      }),
    );
    await Promise.all(busy);
    expect(probes.map((p) => p.status)).toEqual(Array(20).fill(200));
    // Generous for a loaded CI machine; a probe queued behind the pool would take 2.7 s or more.
    expect(Math.max(...probes.map((p) => p.ms))).toBeLessThan(1500);
  });

  it('turns 503 within ~2 s of the database going away, and 200 again once it is back', async () => {
    await request(url).get('/api/ready').expect(200);
    await proxy.stop();
    const down = await until(() => request(url).get('/api/ready'), (res) => res.status === 503, 4000);
    // One background interval (1 s) plus the probe's timeout or connection error, with room for a loaded machine.
    expect(down.elapsedMs).toBeLessThan(2500);
    expect(down.value.body.details.database).toMatchObject({ status: 'down' });
    expect(down.value.body.details.migrations).toMatchObject({ status: 'down' });
    // The probe port reads the same background result.
    const probeDown = await until(() => request(probeUrl).get('/api/ready'), (res) => res.status === 503, 1000);
    expect(probeDown.value.body.error.database).toMatchObject({ status: 'down' });

    await proxy.start();
    const up = await until(() => request(url).get('/api/ready'), (res) => res.status === 200, 5000);
    expect(up.elapsedMs).toBeLessThan(3000);
    expect(up.value.body.details.database).toMatchObject({ status: 'up' });
    await until(() => request(probeUrl).get('/api/ready'), (res) => res.status === 200, 1000);
  });

  it('HEALTH_PORT answers while the main event loop is blocked, and turns 503 once it has been stalled HEALTH_LOOP_STALL_MS', async () => {
    const ready = await request(probeUrl).get('/api/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { lifecycle: { status: 'up' }, event_loop: { status: 'up' }, database: { status: 'up' }, migrations: { status: 'up' } } });
    await request(probeUrl).get('/api/live').expect(200, { status: 'ok', info: { event_loop: { status: 'up' } }, error: {}, details: { event_loop: { status: 'up' } } });
    await request(probeUrl).get('/api/v1/chat/conversations').expect(404);

    const prober = probeFromOutside(`${probeUrl}/api/ready`, [100, 1200]);
    await prober.started;
    blockEventLoop(1600); // this process runs the app: its main loop cannot answer anything now
    const [during, stalled] = await prober.results;

    // Answered by the worker thread: well before the main loop was free again (~1,600 ms).
    expect(during.status).toBe(200);
    expect(during.at + during.ms).toBeLessThan(1000);
    // 500 ms without a heartbeat: this instance cannot serve, and says so.
    expect(stalled.status).toBe(503);
    expect(stalled.body.error.event_loop.message).toMatch(/has not run for \d+ ms/);
    await until(() => request(probeUrl).get('/api/ready'), (res) => res.status === 200, 2000);
  });

  it('HEALTH_PORT readiness turns 503 as soon as shutdown begins, while liveness stays 200', async () => {
    await request(probeUrl).get('/api/ready').expect(200);
    await app.get(ShutdownService).beginShutdown();
    const res = await request(probeUrl).get('/api/ready').expect(503);
    expect(res.body.error.lifecycle).toEqual({ status: 'down', message: 'shutting down' });
    await request(probeUrl).get('/api/live').expect(200);
  });
});
