import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { testDatabaseUrl } from '../helpers/app';
import { FakeOpenAI } from '../helpers/fake-openai';
import { eventsOf, sseRequest } from '../helpers/sse';
import { bearer } from '../helpers/users';
import { connected, sleep } from '../realtime/socket-client';

const root = join(__dirname, '..', '..');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The production entry point (dist/src/main.js, built if stale) in a process of its own, so SIGTERM is real. */
describe('SIGTERM under load (real process)', () => {
  jest.setTimeout(180_000);
  let llm: FakeOpenAI;
  let child: ChildProcess;
  let url: string;
  let probeUrl: string;
  let stderr = '';

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: root, stdio: 'ignore' });
    llm = await new FakeOpenAI().start();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const probePort = await freePort();
    probeUrl = `http://127.0.0.1:${probePort}`;
    child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: testDatabaseUrl(),
        API_HOST: '127.0.0.1',
        API_PORT: String(port),
        // The probe port as the deployment files set it (the built worker thread, not its .ts source).
        HEALTH_PORT: String(probePort),
        OPENAI_BASE_URL: llm.url,
        OPENAI_API_KEY: 'test-key',
        DEFAULT_MODEL: 'openai:gpt-test',
        RATE_LIMIT_PER_MINUTE: '100000',
        // Four replies of one user at once (the default cap is 3).
        MAX_CONCURRENT_STREAMS_PER_USER: '10',
        SHUTDOWN_TIMEOUT_MS: '10000',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await request(url).get('/api/ready').then((res) => res.status === 200, () => false);
      if (ok && (await request(probeUrl).get('/api/ready')).status === 200) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not become ready: ${stderr}`);
      await sleep(200);
    }
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await llm?.stop();
  });

  it('turns unready at once, finishes in-flight REST, ends streams and sockets with a final event, and exits within 10 s', async () => {
    const email = `sigterm${Date.now()}@example.com`;
    const token = (await request(url).post('/api/v1/auth/register').send({ email, username: `sigterm${Date.now()}`, password: 'correct horse battery' }).expect(201)).body.data.access_token as string;
    // 20 s of model output: nothing can finish on its own before the signal.
    const slow = { text: Array.from({ length: 200 }, (_, i) => `w${i}`).join(' '), delayMs: 100 };
    llm.script(slow, slow, slow, slow);

    const socket = await connected(url, token);
    const streams = [0, 1, 2].map(() => sseRequest(url, { path: '/api/v1/chat/message', token, body: { message: 'stream', stream: true } }));
    const slowRest = request(url).post('/api/v1/chat/message').set(bearer(token)).send({ message: 'whole reply please' });
    const slowRestResult = slowRest.then((res) => res, (error: Error) => ({ status: `slow: ${error.message}`, body: {} as Record<string, never> }));
    // Every reply is generating (its model call is in flight) before the signal.
    for (const started = Date.now(); llm.requests.length < 4; ) {
      if (Date.now() - started > 30_000) throw new Error(`only ${llm.requests.length} model calls started`);
      await sleep(50);
    }
    await sleep(300);
    const quickRest = Array.from({ length: 10 }, () => request(url).get('/api/v1/chat/conversations').set(bearer(token)).then((res) => res.status, (error: Error) => `quick: ${error.message}`));

    const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
      const started = Date.now();
      child.once('exit', (code) => resolve({ code, ms: Date.now() - started }));
    });
    child.kill('SIGTERM');
    // Readiness turns 503 as soon as the signal is handled (the listener stays open SHUTDOWN_DRAIN_MS).
    let ready: number | string = 200;
    for (const started = Date.now(); ready === 200 && Date.now() - started < 1000; ) {
      ready = await request(url).get('/api/ready').then((res) => res.status, () => 'refused');
    }
    expect(ready).toBe(503);
    const probe = await request(probeUrl).get('/api/ready');
    expect({ status: probe.status, lifecycle: probe.body.error?.lifecycle }).toEqual({ status: 503, lifecycle: { status: 'down', message: 'shutting down' } });

    // In-flight REST completes: the quick ones, and the slow one with its reply cut short.
    expect(await Promise.all(quickRest)).toEqual(Array(10).fill(200));
    const rest = await slowRestResult;
    expect(rest.status).toBe(200);
    expect(rest.body.data).toMatchObject({ status: 'interrupted' });

    // Each stream ends with a final event, never a silent cut.
    for (const stream of await Promise.all(streams)) {
      expect(stream.status).toBe(200);
      const events = eventsOf(stream.frames);
      const last = events.filter((e) => e.event === 'done' || e.event === 'error').at(-1);
      expect(last).toBeDefined();
      expect(stream.frames.at(-1)?.data).toBe('[DONE]');
    }
    const final = await socket.waitFor((r) => r.event === 'error' && r.payload.code === 'SERVICE_UNAVAILABLE');
    expect(final).toBeDefined();

    const { code, ms } = await exited;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(stderr).not.toMatch(/unhandled|Graceful shutdown timed out/i);
  });
});
