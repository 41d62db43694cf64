import { monitorEventLoopDelay } from 'node:perf_hooks';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI, WebhookRecorder } from '../helpers/fake-openai';
import { eventsOf, sseRequest } from '../helpers/sse';
import { bearer, createUser, TestUser } from '../helpers/users';

/** Polls /api/live while `work` runs; resolves with the slowest answer (ms). */
/**
 * The longest the event loop stalled while `work` ran (the app under test runs in this process).
 * A stall is what would freeze every request; measuring it directly, rather than timing
 * /api/live over HTTP, keeps a loaded machine's scheduling out of the number.
 */
async function longestEventLoopStall(work: PromiseLike<unknown>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  try {
    await work;
  } finally {
    histogram.disable();
  }
  return histogram.max / 1e6;
}

describe('Agent security: models, tools and the demo', () => {
  jest.setTimeout(30_000);

  describe('with a real provider configured', () => {
    let llm: FakeOpenAI;
    let sut: TestApp;
    let user: TestUser;
    const send = (body: Record<string, unknown>) => sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send(body);

    beforeAll(async () => {
      llm = await new FakeOpenAI().start();
      sut = await createTestApp({ OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', DEFAULT_MODEL: 'openai:gpt-test', OPENAI_MODELS: 'gpt-test,gpt-other' });
      user = await createUser(sut);
    });
    beforeEach(() => llm.reset());
    afterAll(async () => {
      await sut.close();
      await llm.stop();
    });

    it('a hostile calculator expression is refused as a tool error without stalling the event loop', async () => {
      llm.script({ toolCall: { name: 'calculator', args: { expression: 'det(random([600, 600]))' } } }, { text: 'Could not compute.' });
      const reply = send({ message: 'compute a big determinant' }).expect(200);
      expect(await longestEventLoopStall(reply)).toBeLessThan(500);
      const { body } = await reply;
      expect(body.data.results).toEqual([expect.objectContaining({ name: 'calculator', status: 'error', content: expect.stringMatching(/not allowed/) })]);
    });

    it('the calculator still answers scalar arithmetic', async () => {
      llm.script({ toolCall: { name: 'calculator', args: { expression: 'sqrt(16) * (2 + 3)' } } }, { text: 'Twenty.' });
      const { body } = await send({ message: 'compute' }).expect(200);
      expect(body.data.results).toEqual([expect.objectContaining({ name: 'calculator', status: 'success', content: '20' })]);
    });

    it('GET /models lists the configured models only: no demo model in this configuration', async () => {
      const res = await sut.http().get('/api/v1/models').set(bearer(user.accessToken)).expect(200);
      expect(res.body.data.map((m: { id: string }) => m.id)).toEqual(['openai:gpt-test', 'openai:gpt-other']);
    });

    it.each(['openai:gpt-unlisted', 'demo:assistant', 'openai:', 'nope', '__proto__:x', 'constructor:x', 'hasOwnProperty:y', 'toString'])(
      'refuses the model %j with 422 on every route that takes one, before anything is stored',
      async (model) => {
        const chat = await send({ message: 'hi', model }).expect(422);
        expect(chat.body).toMatchObject({ status: false, error: { code: 'VALIDATION_ERROR', details: { model: expect.any(Array) } } });
        const created = await sut.http().post('/api/v1/chat/conversations').set(bearer(user.accessToken)).send({ model }).expect(422);
        expect(created.body.error.code).toBe('VALIDATION_ERROR');
        const completion = await sut.http().post('/api/v1/aisuite/chat').set(bearer(user.accessToken)).send({ messages: [{ role: 'user', content: 'hi' }], model }).expect(422);
        expect(completion.body.error.code).toBe('VALIDATION_ERROR');
      },
    );

    it('accepts a listed model', async () => {
      llm.script({ text: 'Hi.' });
      const res = await send({ message: 'hi', model: 'openai:gpt-other' }).expect(200);
      expect(res.body.data).toMatchObject({ status: 'complete', model: 'openai:gpt-other' });
      expect(llm.requests.at(-1)?.model).toBe('gpt-other');
    });
  });

  describe('the demo model', () => {
    it('is offered beside a provider only with DEMO_MODEL_ENABLED=true', async () => {
      const app = await createTestApp({ OPENAI_API_KEY: 'test-key', DEMO_MODEL_ENABLED: 'true' });
      try {
        const user = await createUser(app);
        const models = await app.http().get('/api/v1/models').set(bearer(user.accessToken)).expect(200);
        expect(models.body.data.map((m: { id: string }) => m.id)).toContain('demo:assistant');
        const res = await app.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'hello', model: 'demo:assistant' }).expect(200);
        expect(res.body.data.content).toContain('[demo model]');
      } finally {
        await app.close();
      }
    });

    it('answers a hostile 32 KB message quickly without blocking the event loop', async () => {
      const app = await createTestApp();
      try {
        const user = await createUser(app);
        const message = `calculate ${' '.repeat(31_000)}x`;
        const reply = app.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message });
        expect(await longestEventLoopStall(reply)).toBeLessThan(500);
        const res = await reply;
        expect(res.status).toBe(200);
        expect(res.body.data.content.length).toBeLessThan(1_000);
      } finally {
        await app.close();
      }
    });
  });

  describe('submit_document webhook', () => {
    let target: WebhookRecorder;
    let redirector: http.Server;
    let sut: TestApp;
    let user: TestUser;

    beforeAll(async () => {
      target = await new WebhookRecorder().start();
      redirector = http.createServer((req, res) => {
        req.resume();
        res.writeHead(307, { Location: target.url }).end();
      });
      await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
      sut = await createTestApp({ SUBMIT_WEBHOOK_URL: `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/submit` });
      user = await createUser(sut);
    });
    afterAll(async () => {
      await sut.close();
      await new Promise((resolve) => redirector.close(resolve));
      await target.stop();
    });

    it('does not follow a redirect from SUBMIT_WEBHOOK_URL, and says so', async () => {
      const first = await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'submit a document titled Redirected' }).expect(200);
      const request = first.body.data.requires_consent;
      await sut.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: request.id, approved: true }).expect(200);
      const replay = await sseRequest(sut.url, { path: `/api/v1/chat/conversations/${first.body.data.conversation_id}/stream`, token: user.accessToken });
      const results = eventsOf(replay.frames).filter((e) => e.event === 'results');
      expect(results.at(-1)?.data.results[0]).toMatchObject({ name: 'submit_document', content: expect.stringMatching(/redirect \(HTTP 307\)/) });
      expect(target.received).toEqual([]);
    });
  });
});
