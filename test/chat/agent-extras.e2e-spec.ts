import { DataSource } from 'typeorm';
import { ConsentExpiryJob } from '../../src/modules/consent/consent-expiry.job';
import { createTestApp, TestApp } from '../helpers/app';
import { bearer, createUser, TestUser } from '../helpers/users';

describe('Models, completions, quotas, expiry and deletion (demo model)', () => {
  let sut: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    // Consent expires at once; the sweep is driven by the test, not the timer.
    sut = await createTestApp({ CONSENT_TTL: '1s', CONSENT_SWEEP_INTERVAL: '1h' });
    user = await createUser(sut);
  });
  afterAll(() => sut.close());

  it('GET /models lists the demo model as the default when no provider is configured', async () => {
    const res = await sut.http().get('/api/v1/models').set(bearer(user.accessToken)).expect(200);
    expect(res.body.data).toEqual([{ id: 'demo:assistant', provider: 'demo', name: 'assistant', is_default: true, is_demo: true, vision: true }]);
    expect(res.body.pagination).toEqual({ total: 1, limit: 50, offset: 0, has_more: false });
  });

  it('POST /aisuite/chat answers a plain completion; a model not offered is a validation error', async () => {
    const res = await sut.http().post('/api/v1/aisuite/chat').set(bearer(user.accessToken)).send({ messages: [{ role: 'user', content: 'hi' }] }).expect(200);
    expect(res.body.data).toMatchObject({ model: 'demo:assistant', content: expect.stringContaining('[demo model]') });
    const bad = await sut.http().post('/api/v1/aisuite/chat').set(bearer(user.accessToken)).send({ messages: [{ role: 'user', content: 'hi' }], model: 'nope:x' }).expect(422);
    expect(bad.body.error.details.model).toBeDefined();
    await sut.http().post('/api/v1/aisuite/chat').set(bearer(user.accessToken)).send({ messages: [{ role: 'user', content: 'hi' }], model: 'openai:gpt-4o' }).expect(422);
  });

  it('/api/health reports the LLM configuration, labelled as the demo', async () => {
    const res = await sut.http().get('/api/health').expect(200);
    expect(res.body.details.llm).toMatchObject({ status: 'up', default_model: 'demo:assistant', demo: true });
  });

  it('records token usage and refuses with QUOTA_EXCEEDED once the daily budget is spent, before any model call', async () => {
    // A reply reserves LLM_MAX_OUTPUT_TOKENS + its prompt first: the first fits, the second no longer does.
    const capped = await createTestApp({ DEFAULT_MAX_TOKENS_PER_DAY: '150', LLM_MAX_OUTPUT_TOKENS: '100' });
    try {
      const spender = await createUser(capped);
      await capped.http().post('/api/v1/chat/message').set(bearer(spender.accessToken)).send({ message: 'hello' }).expect(200);
      const refused = await capped.http().post('/api/v1/chat/message').set(bearer(spender.accessToken)).send({ message: 'again' }).expect(429);
      expect(refused.body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { limit: 150 } });
      const conversations = await capped.http().get('/api/v1/chat/conversations').set(bearer(spender.accessToken));
      expect(conversations.body.pagination.total).toBe(1);
    } finally {
      await capped.close();
    }
  });

  it('resolves an unanswered consent request as expired (rejected) and resumes the agent', async () => {
    const paused = (await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'submit a document titled Late' }).expect(200)).body.data;
    expect(paused.status).toBe('awaiting_consent');
    await new Promise((resolve) => setTimeout(resolve, 1100));

    expect(await sut.app.get(ConsentExpiryJob).sweep()).toBeGreaterThanOrEqual(1);
    const audit = await sut.http().get(`/api/v1/consents/${paused.requires_consent.id}`).set(bearer(user.accessToken)).expect(200);
    expect(audit.body.data).toMatchObject({ status: 'expired', decisions: null });
    const late = await sut.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: paused.requires_consent.id, approved: true }).expect(409);
    expect(late.body.error.code).toBe('CONFLICT');

    for (let i = 0; i < 50; i += 1) {
      const history = await sut.http().get(`/api/v1/chat/conversations/${paused.conversation_id}/messages`).set(bearer(user.accessToken));
      if (history.body.data[0].status === 'complete') {
        expect(history.body.data[0].results[0]).toMatchObject({ name: 'submit_document', status: 'error' });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the agent did not resume after expiry');
  });

  it('deleting a conversation removes its messages, consent requests and agent checkpoints', async () => {
    const paused = (await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'submit a document titled Gone' }).expect(200)).body.data;
    const db = sut.app.get(DataSource);
    const checkpoints = () => db.query('SELECT count(*)::int AS n FROM langgraph.checkpoints WHERE thread_id = $1', [paused.conversation_id]);
    expect((await checkpoints())[0].n).toBeGreaterThan(0);

    const res = await sut.http().delete(`/api/v1/chat/conversations/${paused.conversation_id}`).set(bearer(user.accessToken)).expect(200);
    expect(res.body).toEqual({ status: true, data: null, message: 'Conversation deleted' });
    expect((await checkpoints())[0].n).toBe(0);
    await sut.http().get(`/api/v1/chat/conversations/${paused.conversation_id}`).set(bearer(user.accessToken)).expect(404);
    await sut.http().get(`/api/v1/consents/${paused.requires_consent.id}`).set(bearer(user.accessToken)).expect(404);
  });

  it('lists, searches, renames conversations and pages history with a cursor', async () => {
    const first = (await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'zebra crossing facts' }).expect(200)).body.data;
    await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'second', conversation_id: first.conversation_id }).expect(200);

    const found = await sut.http().get('/api/v1/chat/conversations').query({ q: 'zebra' }).set(bearer(user.accessToken)).expect(200);
    expect(found.body.data).toHaveLength(1);
    expect(found.body.data[0]).toMatchObject({ id: first.conversation_id, message_count: 4, last_message_preview: expect.stringContaining('[demo model]') });

    const renamed = await sut.http().patch(`/api/v1/chat/conversations/${first.conversation_id}`).set(bearer(user.accessToken)).send({ title: 'Zebras' }).expect(200);
    expect(renamed.body.data.title).toBe('Zebras');
    await sut.http().patch(`/api/v1/chat/conversations/${first.conversation_id}`).set(bearer(user.accessToken)).send({ model: 'bogus' }).expect(422);

    const page1 = await sut.http().get(`/api/v1/chat/conversations/${first.conversation_id}/messages`).query({ limit: 3 }).set(bearer(user.accessToken)).expect(200);
    expect(page1.body.data.map((m: { role: string }) => m.role)).toEqual(['assistant', 'user', 'assistant']);
    const page2 = await sut
      .http()
      .get(`/api/v1/chat/conversations/${first.conversation_id}/messages`)
      .query({ limit: 3, before: page1.body.data.at(-1).id })
      .set(bearer(user.accessToken))
      .expect(200);
    expect(page2.body.data.map((m: { content: string }) => m.content)).toEqual(['zebra crossing facts']);
  });

  it('the search_conversations tool finds the user’s own messages only', async () => {
    await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'remember the okapi' }).expect(200);
    const mine = await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'search my conversations for okapi' }).expect(200);
    expect(mine.body.data.results[0].content).toContain('remember the okapi');

    const stranger = await createUser(sut);
    const theirs = await sut.http().post('/api/v1/chat/message').set(bearer(stranger.accessToken)).send({ message: 'search my conversations for okapi' }).expect(200);
    expect(theirs.body.data.results[0].content).not.toContain('remember the okapi');
  });

  it('validates message input before storing anything', async () => {
    const before = await sut.http().get('/api/v1/chat/conversations').set(bearer(user.accessToken));
    const res = await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: '', conversationId: 'x' }).expect(422);
    expect(Object.keys(res.body.error.details).sort()).toEqual(['conversationId', 'message']);
    const after = await sut.http().get('/api/v1/chat/conversations').set(bearer(user.accessToken));
    expect(after.body.pagination.total).toBe(before.body.pagination.total);
  });
});
