import { randomBytes } from 'node:crypto';
import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI } from '../helpers/fake-openai';
import { bearer, createUser, TestUser } from '../helpers/users';
import { connected, TestSocket } from './socket-client';

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl && process.env.CI === 'true') throw new Error('TEST_REDIS_URL is required under CI=true');

describe('Per-user limits on REST and socket events', () => {
  jest.setTimeout(30_000);
  const open: TestSocket[] = [];
  const connect = async (app: TestApp, user: TestUser) => {
    const socket = await connected(app.url, user.accessToken);
    open.push(socket);
    return socket;
  };
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });

  it('socket events spend the REST budget (in memory): over it, RATE_LIMIT_EXCEEDED acks and 429s', async () => {
    const signup = await createTestApp();
    const sut = await createTestApp({ RATE_LIMIT_PER_MINUTE: '5' });
    try {
      const user = await createUser(signup);
      await sut.http().get('/api/v1/chat/conversations').set(bearer(user.accessToken)).expect(200);
      await sut.http().get('/api/v1/chat/conversations').set(bearer(user.accessToken)).expect(200);
      const socket = await connect(sut, user);
      const acks = [];
      for (let i = 0; i < 6; i++) acks.push(await socket.emit(i % 2 ? 'ping' : 'create_room', {}));
      expect(acks.slice(0, 3).every((ack) => ack.ok)).toBe(true);
      for (const ack of acks.slice(3)) expect(ack).toMatchObject({ ok: false, error: { code: 'RATE_LIMIT_EXCEEDED', message: expect.any(String) } });
      const rest = await sut.http().get('/api/v1/chat/conversations').set(bearer(user.accessToken)).expect(429);
      expect(rest.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
    } finally {
      await sut.close();
      await signup.close();
    }
  });

  it('run subscriptions spend the same budget as the other socket events', async () => {
    const signup = await createTestApp();
    const sut = await createTestApp({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const user = await createUser(signup);
      const socket = await connect(sut, user);
      const unknownRun = { run_id: '00000000-0000-4000-8000-000000000000' };
      expect(await socket.emit('ping')).toMatchObject({ ok: true });
      expect(await socket.emit('subscribe_run', unknownRun)).toMatchObject({ ok: false, error: { code: 'RESOURCE_NOT_FOUND' } });
      expect(await socket.emit('unsubscribe_run', unknownRun)).toMatchObject({ ok: true });
      expect(await socket.emit('subscribe_run', unknownRun)).toMatchObject({ ok: false, error: { code: 'RATE_LIMIT_EXCEEDED' } });
      expect(await socket.emit('ping')).toMatchObject({ ok: false, error: { code: 'RATE_LIMIT_EXCEEDED' } });
    } finally {
      await sut.close();
      await signup.close();
    }
  });

  (redisUrl ? it : it.skip)('with Redis, REST on one instance and socket events on another share one budget', async () => {
    const settings = { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: `test-limits-${randomBytes(4).toString('hex')}:`, RATE_LIMIT_PER_MINUTE: '4' };
    const signup = await createTestApp();
    const first = await createTestApp(settings);
    const second = await createTestApp(settings);
    try {
      const user = await createUser(signup);
      for (let i = 0; i < 3; i++) await first.http().get('/api/v1/models').set(bearer(user.accessToken)).expect(200);
      const socket = await connect(second, user);
      expect(await socket.emit('ping')).toMatchObject({ ok: true });
      expect(await socket.emit('ping')).toMatchObject({ ok: false, error: { code: 'RATE_LIMIT_EXCEEDED' } });
      await first.http().get('/api/v1/models').set(bearer(user.accessToken)).expect(429);
    } finally {
      await second.close();
      await first.close();
      await signup.close();
    }
  });

  describe('quotas', () => {
    let llm: FakeOpenAI;
    let sut: TestApp;
    beforeAll(async () => {
      llm = await new FakeOpenAI().start();
      sut = await createTestApp({
        OPENAI_BASE_URL: llm.url,
        OPENAI_API_KEY: 'test-key',
        DEFAULT_MODEL: 'openai:gpt-test',
        MAX_CONVERSATIONS_PER_USER: '3',
        MAX_CONCURRENT_STREAMS_PER_USER: '1',
      });
    });
    afterAll(async () => {
      await sut.close();
      await llm.stop();
    });

    it('MAX_CONVERSATIONS_PER_USER: 429 QUOTA_EXCEEDED on REST and on the socket, per user', async () => {
      const user = await createUser(sut);
      const create = (who: TestUser) => sut.http().post('/api/v1/chat/conversations').set(bearer(who.accessToken)).send({});
      // Concurrent creates cannot overshoot the cap.
      const results = await Promise.all([create(user), create(user), create(user), create(user)]);
      expect(results.map((res) => res.status).sort()).toEqual([201, 201, 201, 429]);
      const limited = results.find((res) => res.status === 429)!;
      expect(limited.body).toEqual({ status: false, error: { code: 'QUOTA_EXCEEDED', message: expect.stringMatching(/3 conversations/) }, request_id: expect.any(String) });
      const viaMessage = await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'new one' }).expect(429);
      expect(viaMessage.body.error.code).toBe('QUOTA_EXCEEDED');
      const socket = await connect(sut, user);
      expect(await socket.emit('create_room', {})).toMatchObject({ ok: false, error: { code: 'QUOTA_EXCEEDED' } });
      await create(await createUser(sut)).expect(201);
    });

    it('MAX_CONCURRENT_STREAMS_PER_USER: a second reply at once is 429 QUOTA_EXCEEDED (REST and socket), and no empty conversation is left', async () => {
      const user = await createUser(sut);
      const first = await sut.http().post('/api/v1/chat/conversations').set(bearer(user.accessToken)).send({}).expect(201);
      const second = await sut.http().post('/api/v1/chat/conversations').set(bearer(user.accessToken)).send({}).expect(201);
      llm.script({ text: 'one two three four five six seven eight', delayMs: 150 });
      // .then() sends it now (supertest starts a request only when awaited).
      const running = sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'long', conversation_id: first.body.data.id }).then((res) => res);
      await waitUntilReplying(sut, user, first.body.data.id);

      const refused = await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'too', conversation_id: second.body.data.id }).expect(429);
      expect(refused.body.error.code).toBe('QUOTA_EXCEEDED');
      await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'new' }).expect(429);
      const socket = await connect(sut, user);
      expect(await socket.emit('send_message', { room_id: second.body.data.id, message: 'too' })).toMatchObject({ ok: false, error: { code: 'QUOTA_EXCEEDED' } });
      const list = await sut.http().get('/api/v1/chat/conversations').set(bearer(user.accessToken)).expect(200);
      expect(list.body.pagination.total).toBe(2);

      expect((await running).status).toBe(200);
      llm.script({ text: 'now fine' });
      await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'again', conversation_id: second.body.data.id }).expect(200);
    });
  });
});

async function waitUntilReplying(app: TestApp, user: TestUser, conversationId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await app.http().get(`/api/v1/chat/conversations/${conversationId}`).set(bearer(user.accessToken));
    if (res.body.data?.replying) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the reply never started');
}
