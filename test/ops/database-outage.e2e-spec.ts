import type { Server } from 'node:http';
import request from 'supertest';
import { ShutdownService } from '../../src/common/lifecycle/shutdown.service';
import { createApp } from '../../src/server';
import { testConfig, testDatabaseUrl } from '../helpers/app';
import { FakeOpenAI } from '../helpers/fake-openai';
import { eventsOf, sseRequest } from '../helpers/sse';
import { TcpProxy } from '../helpers/tcp-proxy';
import { bearer } from '../helpers/users';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs: number): Promise<{ value: T; elapsedMs: number }> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (accept(value)) return { value, elapsedMs: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await sleep(100);
  }
}

describe('PostgreSQL outage (through a TCP proxy in front of the test database)', () => {
  jest.setTimeout(60_000);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let proxy: TcpProxy;
  let llm: FakeOpenAI;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    proxy = await TcpProxy.forUrl(testDatabaseUrl()).start();
    llm = await new FakeOpenAI().start();
    const config = testConfig({ OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', DEFAULT_MODEL: 'openai:gpt-test', DATABASE_POOL_SIZE: '4' });
    const app = await createApp(config, proxy.urlFor(testDatabaseUrl()));
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as { port: number }).port}`;
    close = async () => {
      await app.get(ShutdownService).beginShutdown();
      await app.close();
    };
  });
  afterAll(async () => {
    await close?.();
    await proxy?.stop();
    await llm?.stop();
    process.off('unhandledRejection', onUnhandled);
  });

  it('answers 503 while the database is gone, stores the in-flight reply, and is ready again within 5 s of its return', async () => {
    const register = await request(url).post('/api/v1/auth/register').send({ email: `outage${Date.now()}@example.com`, username: `outage${Date.now()}`, password: 'correct horse battery' }).expect(201);
    const token = register.body.data.access_token as string;
    const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    llm.script({ text: words, delayMs: 100 });

    let cut = false;
    const stream = sseRequest(url, {
      path: '/api/v1/chat/message',
      token,
      body: { message: 'a long one', stream: true },
      until: (frames) => {
        if (!cut && frames.filter((f) => f.event === 'chunk').length >= 3) {
          cut = true;
          void proxy.stop();
        }
        return false;
      },
    });
    await waitFor(async () => cut, (value) => value, 10_000);
    // Requests in flight at the cut and right after it: error envelopes, never a hang or a crash.
    const during = await Promise.all([
      request(url).get('/api/v1/chat/conversations').set(bearer(token)),
      request(url).post('/api/v1/chat/conversations').set(bearer(token)).send({ title: 'during the outage' }),
    ]);
    for (const res of during) {
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ status: false, error: { code: 'SERVICE_UNAVAILABLE' }, request_id: expect.any(String) });
    }
    const ready = await waitFor(() => request(url).get('/api/ready'), (res) => res.status === 503, 3000);
    expect(ready.value.body.details.database.status).toBe('down');
    await request(url).get('/api/live').expect(200);

    // The stream goes on from memory (the model is still there) and ends.
    const streamed = await stream;
    const events = eventsOf(streamed.frames);
    const done = events.find((e) => e.event === 'done');
    expect(done).toBeDefined();
    const messageId = done!.data.message_id as string;
    const conversationId = events[0].data.conversation_id as string;

    await proxy.start();
    const back = await waitFor(() => request(url).get('/api/ready'), (res) => res.status === 200, 5000);
    expect(back.elapsedMs).toBeLessThan(5000);

    // The reply was written once PostgreSQL returned: not left `streaming`, nothing lost silently.
    const stored = await waitFor(
      () => request(url).get(`/api/v1/chat/conversations/${conversationId}/messages`).set(bearer(token)),
      (res) => res.status === 200 && res.body.data.some((m: { id: string; status: string }) => m.id === messageId && m.status !== 'streaming'),
      5000,
    );
    const reply = stored.value.body.data.find((m: { id: string }) => m.id === messageId);
    expect(['complete', 'interrupted', 'error']).toContain(reply.status);
    expect(reply.content).toContain('word0 word1 word2');

    // And the service works again without a restart.
    await request(url).post('/api/v1/chat/conversations').set(bearer(token)).send({ title: 'after' }).expect(201);
    expect(unhandled).toEqual([]);
  });
});
