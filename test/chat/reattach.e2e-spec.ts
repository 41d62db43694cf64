import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI, WebhookRecorder } from '../helpers/fake-openai';
import { eventsOf, sseRequest } from '../helpers/sse';
import { bearer, createUser, TestUser } from '../helpers/users';

type Event = ReturnType<typeof eventsOf>[number];

/** Re-attach (GET /chat/conversations/:id/stream) replays a reply through its consent pause into the continuation (DESIGN.md section 6). */
describe('Re-attach across a consent pause', () => {
  jest.setTimeout(30_000);

  const CONTINUATION = 'one two three four five six seven eight nine ten eleven twelve';
  let llm: FakeOpenAI;
  let webhook: WebhookRecorder;
  let sut: TestApp;
  let user: TestUser;
  let settings: Record<string, string>;

  beforeAll(async () => {
    llm = await new FakeOpenAI().start();
    webhook = await new WebhookRecorder().start();
    settings = { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', DEFAULT_MODEL: 'openai:gpt-test', SUBMIT_WEBHOOK_URL: webhook.url };
    sut = await createTestApp(settings);
    user = await createUser(sut);
  });
  beforeEach(() => llm.reset());
  afterAll(async () => {
    await sut.close();
    await llm.stop();
    await webhook.stop();
  });

  const reattach = async (app: TestApp, conversationId: string, lastEventId?: number) => {
    const res = await sseRequest(app.url, {
      path: `/api/v1/chat/conversations/${conversationId}/stream`,
      token: user.accessToken,
      headers: lastEventId === undefined ? {} : { 'Last-Event-ID': String(lastEventId) },
    });
    expect(res.status).toBe(200);
    expect(res.frames.at(-1)?.data).toBe('[DONE]');
    return eventsOf(res.frames);
  };
  const textOf = (events: Event[]) => events.filter((e) => e.event === 'chunk').map((e) => e.data.content).join('');
  const shape = (events: Event[]) => events.map((e) => [e.id, e.event, e.event === 'done' ? e.data.status : undefined]);

  /** Streams a message that pauses for consent; the continuation is scripted slow (about 0.6 s). */
  async function pause(title: string) {
    llm.script({ toolCall: { name: 'submit_document', args: { title, content: 'Body' } } }, { text: CONTINUATION, delayMs: 50 });
    const res = await sseRequest(sut.url, { path: '/api/v1/chat/message', token: user.accessToken, body: { message: `submit ${title}`, stream: true } });
    const events = eventsOf(res.frames);
    expect(events.map((e) => e.event)).toEqual(['conversation_id', 'tool_calls', 'consent_required', 'done']);
    expect(events.at(-1)!.data.status).toBe('awaiting_consent');
    return { conversationId: events[0].data.conversation_id as string, request: events[2].data.consent_request, events };
  }

  const approve = (requestId: string) =>
    sut.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: requestId, approved: true }).expect(200);

  it('ends at done {awaiting_consent} while the decision is pending, with or without Last-Event-ID', async () => {
    const paused = await pause('Pending');
    const started = Date.now();
    expect(shape(await reattach(sut, paused.conversationId))).toEqual(shape(paused.events));
    expect(shape(await reattach(sut, paused.conversationId, paused.events[1].id!))).toEqual(shape(paused.events.slice(2)));
    // It does not wait for a decision that has not been taken.
    expect(Date.now() - started).toBeLessThan(5000);
    // Left pending: a decision would run its continuation against a later test's script.
  });

  it('goes on into the continuation while it streams here (memory), and again from storage once it finished', async () => {
    const paused = await pause('Live');
    const pauseId = paused.events.at(-1)!.id!;
    await approve(paused.request.id);

    // Both re-attach while the continuation is still generating (its text takes about 0.6 s).
    const [whole, missed] = await Promise.all([reattach(sut, paused.conversationId), reattach(sut, paused.conversationId, pauseId)]);
    expect(whole.map((e) => e.event).filter((type, i, all) => type !== all[i - 1])).toEqual([
      'conversation_id',
      'tool_calls',
      'consent_required',
      'done',
      'results',
      'chunk',
      'done',
    ]);
    expect(shape(whole.slice(0, 4))).toEqual(shape(paused.events));
    expect(whole.at(-1)).toMatchObject({ event: 'done', data: { status: 'complete' } });
    expect(textOf(whole)).toBe(CONTINUATION);
    const ids = whole.map((e) => e.id!);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => ids[0] + i));
    // With Last-Event-ID: exactly what came after the pause.
    expect(missed).toEqual(whole.filter((e) => e.id! > pauseId));

    // After the fact, from storage: the same events.
    expect(await reattach(sut, paused.conversationId)).toEqual(whole);
    expect(await reattach(sut, paused.conversationId, pauseId)).toEqual(missed);
    expect(await reattach(sut, paused.conversationId, paused.events[0].id!)).toEqual(whole.slice(1));
    const history = await sut.http().get(`/api/v1/chat/conversations/${paused.conversationId}/messages`).set(bearer(user.accessToken)).expect(200);
    expect(history.body.data[0]).toMatchObject({ status: 'complete', content: CONTINUATION });
  });

  it('follows a continuation generating on another instance through storage', async () => {
    const other = await createTestApp(settings);
    try {
      const paused = await pause('Elsewhere');
      await approve(paused.request.id);
      // `other` has nothing in memory: it reads the event log while `sut` writes it.
      const events = await reattach(other, paused.conversationId);
      expect(shape(events.slice(0, 4))).toEqual(shape(paused.events));
      expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'complete' } });
      expect(textOf(events)).toBe(CONTINUATION);
      expect(await reattach(sut, paused.conversationId)).toEqual(events);
    } finally {
      await other.close();
    }
    // A second app boots in this test: slow when suites share a loaded machine.
  }, 60_000);

  it('refuses a new message while consent is pending with 409 CONFLICT and the pending request in details', async () => {
    const paused = await pause('Blocking');
    const res = await sut
      .http()
      .post('/api/v1/chat/message')
      .set(bearer(user.accessToken))
      .send({ message: 'anything else?', conversation_id: paused.conversationId })
      .expect(409);
    expect(res.body).toMatchObject({ status: false, error: { code: 'CONFLICT', details: { consent_request: paused.request } } });
  });
});
