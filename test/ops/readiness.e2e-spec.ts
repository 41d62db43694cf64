import type { Server } from 'node:http';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ShutdownService } from '../../src/common/lifecycle/shutdown.service';
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

/**
 * /api/ready answers from a background database check (every second, on a connection of its
 * own): it stays 200 while the pool is held by slow work, and still turns 503 within ~2 s of the
 * database going away (and 200 again once it is back).
 */
describe('Readiness from the background database check', () => {
  let proxy: TcpProxy;
  let url: string;
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    proxy = await TcpProxy.forUrl(testDatabaseUrl()).start();
    const app = await createApp(testConfig({ DATABASE_POOL_SIZE: '2' }), proxy.urlFor(testDatabaseUrl()));
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as { port: number }).port}`;
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

    await proxy.start();
    const up = await until(() => request(url).get('/api/ready'), (res) => res.status === 200, 5000);
    expect(up.elapsedMs).toBeLessThan(3000);
    expect(up.value.body.details.database).toMatchObject({ status: 'up' });
  });
});
