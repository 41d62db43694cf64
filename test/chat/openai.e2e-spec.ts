import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI, WebhookRecorder } from '../helpers/fake-openai';
import { eventsOf, parseSse, sseRequest } from '../helpers/sse';
import { bearer, createUser, TestUser } from '../helpers/users';

describe('Chat through the real OpenAI client', () => {
  let llm: FakeOpenAI;
  let webhook: WebhookRecorder;
  let sut: TestApp;
  let user: TestUser;
  let settings: Record<string, string>;

  beforeAll(async () => {
    llm = await new FakeOpenAI().start();
    webhook = await new WebhookRecorder().start();
    settings = { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', DEFAULT_MODEL: 'openai:gpt-test', SUBMIT_WEBHOOK_URL: webhook.url, LLM_TIMEOUT_MS: '1500' };
    sut = await createTestApp(settings);
    user = await createUser(sut);
  });
  beforeEach(() => llm.reset());
  afterAll(async () => {
    await sut.close();
    await llm.stop();
    await webhook.stop();
  });

  const send = (body: Record<string, unknown>, who: TestUser = user) => sut.http().post('/api/v1/chat/message').set(bearer(who.accessToken)).send(body);

  it('streams a reply whose chunks concatenate to the stored message, with usage', async () => {
    llm.script({ text: 'The quick brown fox jumps over the lazy dog.' });
    const res = await sseRequest(sut.url, { path: '/api/v1/chat/message', token: user.accessToken, body: { message: 'tell me', stream: true } });
    const events = eventsOf(res.frames);
    const chunks = events.filter((e) => e.event === 'chunk').map((e) => e.data.content);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.join('')).toBe('The quick brown fox jumps over the lazy dog.');
    const done = events.at(-1)!;
    expect(done).toMatchObject({ event: 'done', data: { status: 'complete', usage: { input_tokens: 11, output_tokens: 7, total_tokens: 18 } } });

    const conversationId = events[0].data.conversation_id;
    const detail = await sut.http().get(`/api/v1/chat/conversations/${conversationId}`).set(bearer(user.accessToken)).expect(200);
    const stored = detail.body.data.messages.at(-1);
    expect(stored).toMatchObject({ id: done.data.message_id, content: chunks.join(''), status: 'complete', model: 'openai:gpt-test' });
    expect(llm.requests.at(-1)).toMatchObject({ model: 'gpt-test', stream: true });
  });

  it('stores a tool call and its result, and sends the result back to the model', async () => {
    llm.script({ toolCall: { name: 'calculator', args: { expression: '6 * 7' } } }, { text: 'It is 42.' });
    const res = await send({ message: 'what is six times seven' }).expect(200);
    expect(res.body.data.tool_calls).toEqual([{ id: 'call_' + (llm.requests.length - 1), name: 'calculator', arguments: { expression: '6 * 7' } }]);
    expect(res.body.data.results[0]).toMatchObject({ name: 'calculator', content: '42', status: 'success' });
    expect(res.body.data.content).toBe('It is 42.');
    const toolMessage = llm.requests.at(-1)!.messages.find((m) => m.role === 'tool');
    expect(toolMessage).toMatchObject({ content: '42' });
  });

  it('ends a provider failure with an error event and a stored error status', async () => {
    llm.script({ status: 500 }, { status: 500 });
    const res = await sseRequest(sut.url, { path: '/api/v1/chat/message', token: user.accessToken, body: { message: 'fail please', stream: true } });
    const events = eventsOf(res.frames);
    expect(events.map((e) => e.event)).toEqual(['conversation_id', 'error', 'done']);
    expect(events[1].data).toEqual({ code: 'PROVIDER_ERROR', message: 'The model provider failed: HTTP 500' });
    expect(events[2].data.status).toBe('error');
    expect(res.frames.at(-1)?.data).toBe('[DONE]');
    const history = await sut.http().get(`/api/v1/chat/conversations/${events[0].data.conversation_id}/messages`).set(bearer(user.accessToken));
    expect(history.body.data[0]).toMatchObject({ role: 'assistant', status: 'error', error: { code: 'PROVIDER_ERROR' } });
  });

  it('ends a provider that never answers at LLM_TIMEOUT_MS, never a hang', async () => {
    llm.script({ hang: true }, { hang: true });
    // Without streaming a provider failure is 502 PROVIDER_ERROR; the message is stored with status `error`.
    const res = await send({ message: 'hang please' }).expect(502);
    expect(res.body).toMatchObject({ status: false, error: { code: 'PROVIDER_ERROR', details: { conversation_id: expect.any(String), message_id: expect.any(String) } } });
    const { conversation_id: conversationId, message_id: messageId } = res.body.error.details;
    const history = await sut.http().get(`/api/v1/chat/conversations/${conversationId}/messages`).set(bearer(user.accessToken)).expect(200);
    expect(history.body.data[0]).toMatchObject({ id: messageId, status: 'error', error: { code: 'PROVIDER_ERROR' } });
    // the conversation is free again
    llm.script({ text: 'back' });
    await send({ message: 'again', conversation_id: conversationId }).expect(200);
    // Two attempts of LLM_TIMEOUT_MS (1.5 s) take 3 s of the default 5 s: too tight on a busy machine.
  }, 15_000);

  it('keeps generating and stores the whole reply when the client disconnects mid-stream', async () => {
    llm.script({ text: 'one two three four five six seven eight nine ten', delayMs: 40 });
    const cut = await sseRequest(sut.url, {
      path: '/api/v1/chat/message',
      token: user.accessToken,
      body: { message: 'count', stream: true },
      until: (frames) => frames.filter((f) => f.event === 'chunk').length >= 2,
    });
    const conversationId = JSON.parse(cut.frames[0].data).conversation_id;
    const lastSeen = cut.frames.filter((f) => f.id !== undefined).at(-1)!.id!;

    // Re-attach with Last-Event-ID: exactly the events after it, ending with done.
    const rest = await sseRequest(sut.url, {
      path: `/api/v1/chat/conversations/${conversationId}/stream`,
      token: user.accessToken,
      headers: { 'Last-Event-ID': String(lastSeen) },
    });
    const restEvents = eventsOf(rest.frames);
    expect(restEvents[0].id).toBe(lastSeen + 1);
    expect(restEvents.at(-1)).toMatchObject({ event: 'done', data: { status: 'complete' } });
    const seenText = eventsOf(cut.frames).filter((e) => e.event === 'chunk').map((e) => e.data.content).join('');
    const restText = restEvents.filter((e) => e.event === 'chunk').map((e) => e.data.content).join('');
    expect(seenText + restText).toBe('one two three four five six seven eight nine ten');

    const history = await sut.http().get(`/api/v1/chat/conversations/${conversationId}/messages`).set(bearer(user.accessToken));
    expect(history.body.data[0]).toMatchObject({ content: 'one two three four five six seven eight nine ten', status: 'complete' });

    // After the fact, from storage: the same events again.
    const again = await sseRequest(sut.url, {
      path: `/api/v1/chat/conversations/${conversationId}/stream`,
      token: user.accessToken,
      headers: { 'Last-Event-ID': String(lastSeen) },
    });
    expect(eventsOf(again.frames)).toEqual(restEvents);
  });

  it('refuses a second message while a reply is streaming (CONFLICT), and cancel stops it as interrupted', async () => {
    llm.script({ text: 'a b c d e f g h i j k l m n o p q r s t', delayMs: 50 });
    const streaming = sseRequest(sut.url, { path: '/api/v1/chat/message', token: user.accessToken, body: { message: 'long', stream: true } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const list = await sut.http().get('/api/v1/chat/conversations').set(bearer(user.accessToken));
    const conversationId = list.body.data.find((c: { replying: boolean }) => c.replying).id;

    const second = await send({ message: 'me too', conversation_id: conversationId }).expect(409);
    expect(second.body.error.code).toBe('CONFLICT');

    await sut.http().post(`/api/v1/chat/conversations/${conversationId}/cancel`).set(bearer(user.accessToken)).expect(200);
    const events = eventsOf((await streaming).frames);
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'interrupted' } });
    const history = await sut.http().get(`/api/v1/chat/conversations/${conversationId}/messages`).set(bearer(user.accessToken));
    expect(history.body.data[0].status).toBe('interrupted');
    expect(history.body.data[0].content.length).toBeGreaterThan(0);
  });

  describe('consent', () => {
    async function pauseForSubmit(title: string) {
      llm.script({ toolCall: { name: 'submit_document', args: { title, content: 'Body' } } });
      const res = await send({ message: `submit ${title}` }).expect(200);
      expect(res.body.data.status).toBe('awaiting_consent');
      return res.body.data as { conversation_id: string; message_id: string; requires_consent: { id: string; actions: unknown[] } };
    }

    it('pauses with consent_required then done awaiting_consent, and refuses new messages meanwhile', async () => {
      llm.script({ toolCall: { name: 'submit_document', args: { title: 'Streamed', content: 'Body' } } });
      const res = await sseRequest(sut.url, { path: '/api/v1/chat/message', token: user.accessToken, body: { message: 'submit', stream: true } });
      const events = eventsOf(res.frames);
      expect(events.map((e) => e.event)).toEqual(['conversation_id', 'tool_calls', 'consent_required', 'done']);
      expect(events[2].data.consent_request).toMatchObject({ status: 'pending', actions: [{ tool: 'submit_document', arguments: { title: 'Streamed', content: 'Body' } }] });
      expect(events[3].data.status).toBe('awaiting_consent');
      await send({ message: 'hello?', conversation_id: events[0].data.conversation_id }).expect(409);
    });

    it('approve: the agent resumes, the webhook gets exactly one POST, and the reply continues', async () => {
      const paused = await pauseForSubmit('Approved doc');
      llm.script({ text: 'Submitted it.' });
      const before = webhook.received.length;
      const decision = await sut.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: paused.requires_consent.id, approved: true, stream: true });
      expect(decision.status).toBe(200);
      const events = eventsOf(parseSse(decision.text));
      expect(events.map((e) => e.event).filter((type, i, all) => type !== all[i - 1])).toEqual(['results', 'chunk', 'done']);
      expect(events[0].data.results[0]).toMatchObject({ name: 'submit_document', status: 'success' });
      expect(webhook.received.slice(before)).toEqual([expect.objectContaining({ title: 'Approved doc', content: 'Body', user_id: user.id })]);

      const history = await sut.http().get(`/api/v1/chat/conversations/${paused.conversation_id}/messages`).set(bearer(user.accessToken));
      expect(history.body.data[0]).toMatchObject({ id: paused.message_id, status: 'complete', content: 'Submitted it.' });

      // A replayed decision changes nothing and acts nothing.
      const replay = await sut.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: paused.requires_consent.id, approved: true }).expect(409);
      expect(replay.body.error.code).toBe('CONFLICT');
      expect(webhook.received.length).toBe(before + 1);
    });

    it('edit: the tool runs with the edited arguments', async () => {
      const paused = await pauseForSubmit('Draft title');
      llm.script({ text: 'Done with edits.' });
      const before = webhook.received.length;
      await sut
        .http()
        .post('/api/v1/chat/consent')
        .set(bearer(user.accessToken))
        .send({ consent_request_id: paused.requires_consent.id, approved: true, edited_arguments: { title: 'Final title', content: 'Edited body' } })
        .expect(200);
      await waitForStatus(paused.conversation_id, 'complete');
      expect(webhook.received.slice(before)).toEqual([expect.objectContaining({ title: 'Final title', content: 'Edited body' })]);
      const audit = await sut.http().get(`/api/v1/consents/${paused.requires_consent.id}`).set(bearer(user.accessToken)).expect(200);
      expect(audit.body.data).toMatchObject({ status: 'approved', decided_by: user.id, decisions: [{ type: 'edit', arguments: { title: 'Final title', content: 'Edited body' } }] });
    });

    it('reject: nothing is sent, the model is told why, the audit trail keeps the reason', async () => {
      const paused = await pauseForSubmit('Secret plans');
      llm.script({ text: 'Understood, not submitted.' });
      const before = webhook.received.length;
      const res = await sut.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: paused.requires_consent.id, approved: false, reason: 'Too sensitive' }).expect(200);
      expect(res.body.data).toMatchObject({ status: 'rejected', consent_token: null });
      await waitForStatus(paused.conversation_id, 'complete');
      expect(webhook.received.length).toBe(before);
      expect(llm.requests.at(-1)!.messages.find((m) => m.role === 'tool')).toMatchObject({ content: 'Too sensitive' });
      const list = await sut.http().get('/api/v1/consents').query({ status: 'rejected' }).set(bearer(user.accessToken)).expect(200);
      expect(list.body.data.find((r: { id: string }) => r.id === paused.requires_consent.id)).toMatchObject({ reason: 'Too sensitive' });
    });

    it('two concurrent decisions: exactly one wins and the tool acts once', async () => {
      const paused = await pauseForSubmit('Race');
      llm.script({ text: 'Raced.' });
      const before = webhook.received.length;
      const decide = () => sut.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: paused.requires_consent.id, approved: true });
      const statuses = (await Promise.all([decide(), decide(), decide()])).map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409, 409]);
      await waitForStatus(paused.conversation_id, 'complete');
      expect(webhook.received.length).toBe(before + 1);
    });

    it('a batch of actions in one interrupt takes one decision per action; approving all runs each once', async () => {
      const batch = { toolCalls: [{ name: 'submit_document', args: { title: 'One', content: 'a' } }, { name: 'submit_document', args: { title: 'Two', content: 'b' } }] };
      llm.script(batch);
      const paused = (await send({ message: 'submit both' }).expect(200)).body.data;
      expect(paused.requires_consent.actions.map((a: { arguments: { title: string } }) => a.arguments.title)).toEqual(['One', 'Two']);
      // One set of edited arguments cannot fit two actions: decide per action instead.
      const ambiguous = await sut
        .http()
        .post('/api/v1/chat/consent')
        .set(bearer(user.accessToken))
        .send({ consent_request_id: paused.requires_consent.id, approved: true, edited_arguments: { title: 'X', content: 'y' } })
        .expect(422);
      expect(ambiguous.body.error.details.edited_arguments).toBeDefined();

      llm.script({ text: 'Both submitted.' });
      const before = webhook.received.length;
      await sut
        .http()
        .post('/api/v1/chat/consent')
        .set(bearer(user.accessToken))
        .send({ consent_request_id: paused.requires_consent.id, decisions: [{ approved: true }, { approved: true, edited_arguments: { title: 'Two (edited)', content: 'b' } }] })
        .expect(200);
      await waitForStatus(paused.conversation_id, 'complete');
      expect(webhook.received.slice(before).map((doc) => doc.title).sort()).toEqual(['One', 'Two (edited)']);
    });

    it('a mixed batch: LangChain returns the turn to the model with the rejection, and nothing is sent', async () => {
      llm.script({ toolCalls: [{ name: 'submit_document', args: { title: 'Keep', content: 'a' } }, { name: 'submit_document', args: { title: 'Drop', content: 'b' } }] });
      const paused = (await send({ message: 'submit two more' }).expect(200)).body.data;
      llm.script({ text: 'I will not send Drop.' });
      const before = webhook.received.length;
      const res = await sut
        .http()
        .post('/api/v1/chat/consent')
        .set(bearer(user.accessToken))
        .send({ consent_request_id: paused.requires_consent.id, decisions: [{ approved: true }, { approved: false, reason: 'not this one' }] })
        .expect(200);
      expect(res.body.data.status).toBe('partial');
      await waitForStatus(paused.conversation_id, 'complete');
      expect(webhook.received.length).toBe(before);
      const history = await sut.http().get(`/api/v1/chat/conversations/${paused.conversation_id}/messages`).set(bearer(user.accessToken));
      expect(history.body.data[0].results).toEqual([expect.objectContaining({ name: 'submit_document', status: 'error', content: 'not this one' })]);
      expect(history.body.data[0].content).toBe('I will not send Drop.');
    });

    it('resumes on a fresh app instance (after a restart)', async () => {
      const paused = await pauseForSubmit('Restart');
      const other = await createTestApp(settings);
      try {
        llm.script({ text: 'Resumed elsewhere.' });
        await other.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: paused.requires_consent.id, approved: true }).expect(200);
        await waitForStatus(paused.conversation_id, 'complete', other);
        const history = await other.http().get(`/api/v1/chat/conversations/${paused.conversation_id}/messages`).set(bearer(user.accessToken));
        expect(history.body.data[0].content).toBe('Resumed elsewhere.');
      } finally {
        await other.close();
      }
    });
  });

  // Plain replies call the model without the agent graph (AGENT_DIRECT_REPLIES): every kind of
  // turn must still leave the whole conversation in the thread for the next one.
  it('sends the model the whole conversation across plain, tool and consent turns', async () => {
    const text = (content: unknown) => (typeof content === 'string' ? content : (content as Array<{ text?: string }>).map((part) => part.text ?? '').join(''));
    const sent = () => llm.requests.at(-1)!.messages.map((m) => [m.role, m.tool_calls ? 'tool call' : text(m.content)]);
    llm.script({ text: 'One.' });
    const first = await send({ message: 'first' }).expect(200);
    const conversation_id = first.body.data.conversation_id as string;
    llm.script({ toolCall: { name: 'calculator', args: { expression: '6 * 7' } } }, { text: 'It is 42.' });
    await send({ message: 'compute', conversation_id }).expect(200);
    llm.script({ toolCall: { name: 'submit_document', args: { title: 'Kept', content: 'Body' } } });
    const paused = await send({ message: 'submit it', conversation_id }).expect(200);
    llm.script({ text: 'Submitted.' });
    await sut.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: paused.body.data.requires_consent.id, approved: true }).expect(200);
    await waitForStatus(conversation_id, 'complete');
    llm.script({ text: 'Welcome.' });
    await send({ message: 'thanks', conversation_id }).expect(200);
    expect(sent()).toEqual([
      ['system', expect.stringContaining('helpful assistant')],
      ['user', 'first'],
      ['assistant', 'One.'],
      ['user', 'compute'],
      ['assistant', 'tool call'],
      ['tool', '42'],
      ['assistant', 'It is 42.'],
      ['user', 'submit it'],
      ['assistant', 'tool call'],
      ['tool', expect.any(String)],
      ['assistant', 'Submitted.'],
      ['user', 'thanks'],
    ]);
  });

  describe('ownership', () => {
    it('another user gets 404 on every conversation, message, stream and consent route', async () => {
      llm.script({ toolCall: { name: 'submit_document', args: { title: 'Mine', content: 'x' } } });
      const mine = (await send({ message: 'submit mine' }).expect(200)).body.data;
      const stranger = await createUser(sut);
      const as = bearer(stranger.accessToken);
      const id = mine.conversation_id;
      const checks = [
        sut.http().get(`/api/v1/chat/conversations/${id}`).set(as),
        sut.http().patch(`/api/v1/chat/conversations/${id}`).set(as).send({ title: 'hijack' }),
        sut.http().get(`/api/v1/chat/conversations/${id}/messages`).set(as),
        sut.http().get(`/api/v1/chat/conversations/${id}/stream`).set(as),
        sut.http().post(`/api/v1/chat/conversations/${id}/cancel`).set(as),
        sut.http().post('/api/v1/chat/message').set(as).send({ message: 'hi', conversation_id: id }),
        sut.http().get(`/api/v1/consents/${mine.requires_consent.id}`).set(as),
        sut.http().post('/api/v1/chat/consent').set(as).send({ consent_request_id: mine.requires_consent.id, approved: true }),
        sut.http().delete(`/api/v1/chat/conversations/${id}`).set(as),
      ];
      for (const res of await Promise.all(checks)) {
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('RESOURCE_NOT_FOUND');
      }
      const list = await sut.http().get('/api/v1/consents').set(as).expect(200);
      expect(list.body.data).toEqual([]);
      // still intact for the owner
      const audit = await sut.http().get(`/api/v1/consents/${mine.requires_consent.id}`).set(bearer(user.accessToken)).expect(200);
      expect(audit.body.data.status).toBe('pending');
    });
  });

  async function waitForStatus(conversationId: string, status: string, app: TestApp = sut): Promise<void> {
    for (let i = 0; i < 100; i += 1) {
      const res = await app.http().get(`/api/v1/chat/conversations/${conversationId}/messages`).set(bearer(user.accessToken));
      if (res.body.data[0]?.status === status) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`conversation ${conversationId} never reached ${status}`);
  }
});
