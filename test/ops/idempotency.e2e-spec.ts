import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { IdempotencySweepJob } from '../../src/modules/idempotency/idempotency-sweep.job';
import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI } from '../helpers/fake-openai';
import { eventsOf, sseRequest } from '../helpers/sse';
import { bearer, createUser, TestUser } from '../helpers/users';

describe('Idempotency-Key', () => {
  let llm: FakeOpenAI;
  let sut: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    llm = await new FakeOpenAI().start();
    sut = await createTestApp({ OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', DEFAULT_MODEL: 'openai:gpt-test' });
    user = await createUser(sut);
  });
  beforeEach(() => llm.reset());
  afterAll(async () => {
    await sut.close();
    await llm.stop();
  });

  const createConversation = (key: string, body: Record<string, unknown>, who = user) =>
    sut.http().post('/api/v1/chat/conversations').set(bearer(who.accessToken)).set('Idempotency-Key', key).send(body);
  const sendMessage = (key: string, body: Record<string, unknown>) =>
    sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).set('Idempotency-Key', key).send(body);
  const messageCount = async (conversationId: string) =>
    (await sut.http().get(`/api/v1/chat/conversations/${conversationId}/messages`).set(bearer(user.accessToken)).expect(200)).body.data.length;

  it('replays the first status and body, refuses another body with the same key, and keeps keys per user', async () => {
    const key = randomUUID();
    const first = await createConversation(key, { title: 'Once' }).expect(201);
    const again = await createConversation(key, { title: 'Once' }).expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');

    const reused = await createConversation(key, { title: 'Twice' }).expect(422);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');

    const other = await createUser(sut);
    const theirs = await createConversation(key, { title: 'Once' }, other).expect(201);
    expect(theirs.body.data.id).not.toBe(first.body.data.id);

    const list = await sut.http().get('/api/v1/chat/conversations?q=Once').set(bearer(user.accessToken)).expect(200);
    expect(list.body.data.filter((c: { title: string }) => c.title === 'Once')).toHaveLength(1);
  });

  it('covers sessions, runs and teams: a retried create makes one of each', async () => {
    const post = (path: string, key: string, body: Record<string, unknown>) =>
      sut.http().post(`/api/v1/${path}`).set(bearer(user.accessToken)).set('Idempotency-Key', key).send(body);
    const sessionKey = randomUUID();
    const session = await post('sessions', sessionKey, { name: 'Retried' }).expect(201);
    expect((await post('sessions', sessionKey, { name: 'Retried' }).expect(201)).body).toEqual(session.body);

    const runKey = randomUUID();
    const run = await post('runs', runKey, { session_id: session.body.data.id, task: 'Once' }).expect(202);
    expect((await post('runs', runKey, { session_id: session.body.data.id, task: 'Once' }).expect(202)).body).toEqual(run.body);
    const runs = await sut.http().get(`/api/v1/sessions/${session.body.data.id}/runs`).set(bearer(user.accessToken)).expect(200);
    expect(runs.body.pagination.total).toBe(1);

    const teamKey = randomUUID();
    const team = { name: 'Retried team', agents: [{ name: 'solo', role: 'assistant', system_prompt: 'Help.' }], orchestration: { type: 'sequential', max_iterations: 1, timeout_minutes: 5 } };
    const created = await post('teams', teamKey, team).expect(201);
    expect((await post('teams', teamKey, team).expect(201)).body).toEqual(created.body);
  });

  it('lets exactly one of several simultaneous requests with one key create something', async () => {
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 6 }, () => createConversation(key, { title: 'Raced' })));
    expect(results.every((res) => res.status === 201 || res.status === 409)).toBe(true);
    const ids = new Set(results.filter((res) => res.status === 201).map((res) => res.body.data.id));
    expect(ids.size).toBe(1);
  });

  it('frees the key when the first request fails, so a corrected retry runs', async () => {
    const key = randomUUID();
    await createConversation(key, { title: 'x'.repeat(500) }).expect(422);
    await createConversation(key, { title: 'Corrected' }).expect(201);
    await sut.http().post('/api/v1/chat/conversations').set(bearer(user.accessToken)).set('Idempotency-Key', 'bad key with spaces').send({}).expect(422);
  });

  it('answers 409 to a duplicate while the first runs, then replays the reply without a second model call', async () => {
    llm.script({ text: 'one two three four five six', delayMs: 150 });
    const key = randomUUID();
    const first = sendMessage(key, { message: 'slow please' }).then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const duplicate = await sendMessage(key, { message: 'slow please' }).expect(409);
    expect(duplicate.body.error.code).toBe('CONFLICT');

    const done = await first;
    expect(done.status).toBe(200);
    const calls = llm.requests.length;
    const replay = await sendMessage(key, { message: 'slow please' }).expect(200);
    expect(replay.body).toEqual(done.body);
    expect(llm.requests.length).toBe(calls);
    expect(await messageCount(done.body.data.conversation_id)).toBe(2);
  });

  it('re-attaches a streamed message retried with its key to the same reply, from its start', async () => {
    llm.script({ text: 'alpha beta gamma delta epsilon zeta eta theta', delayMs: 60 });
    const key = randomUUID();
    const callsBefore = llm.requests.length;
    const body = { message: 'stream it', stream: true };
    const cut = await sseRequest(sut.url, {
      path: '/api/v1/chat/message',
      token: user.accessToken,
      body,
      headers: { 'Idempotency-Key': key },
      until: (frames) => frames.filter((frame) => frame.event === 'chunk').length >= 2,
    });
    const conversationId = eventsOf(cut.frames)[0].data.conversation_id as string;

    const retry = await sseRequest(sut.url, { path: '/api/v1/chat/message', token: user.accessToken, body, headers: { 'Idempotency-Key': key } });
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const events = eventsOf(retry.frames);
    expect(events[0]).toMatchObject({ event: 'conversation_id', data: { conversation_id: conversationId } });
    expect(events.filter((e) => e.event === 'chunk').map((e) => e.data.content).join('')).toBe('alpha beta gamma delta epsilon zeta eta theta');
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'complete' } });
    expect(llm.requests.length).toBe(callsBefore + 1);
    expect(await messageCount(conversationId)).toBe(2);

    // After the reply ended, the same key still replays it, from storage.
    const later = await sseRequest(sut.url, { path: '/api/v1/chat/message', token: user.accessToken, body, headers: { 'Idempotency-Key': key } });
    expect(eventsOf(later.frames).map((e) => e.id)).toEqual(events.map((e) => e.id));
  });

  it('sweeps expired keys, after which the key runs again', async () => {
    const key = randomUUID();
    const first = await createConversation(key, { title: 'Expiring' }).expect(201);
    const db = sut.app.get(DataSource);
    // Scoped by user, method and route (the versioned path and its alias are one route).
    expect(await db.query(`SELECT scope FROM idempotency_keys WHERE user_id = $1 AND key = $2`, [user.id, key])).toEqual([{ scope: 'POST /api/chat/conversations' }]);
    await db.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND key = $2`, [user.id, key]);
    expect(await sut.app.get(IdempotencySweepJob).sweep()).toBeGreaterThanOrEqual(1);
    expect(await db.query(`SELECT 1 FROM idempotency_keys WHERE user_id = $1 AND key = $2`, [user.id, key])).toHaveLength(0);
    const second = await createConversation(key, { title: 'Expiring' }).expect(201);
    expect(second.body.data.id).not.toBe(first.body.data.id);
  });
});
