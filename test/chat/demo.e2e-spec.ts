import { DataSource } from 'typeorm';
import { ReplyStreams } from '../../src/modules/chat/reply-streams';
import { createTestApp, TestApp } from '../helpers/app';
import { eventsOf, sseRequest } from '../helpers/sse';
import { bearer, createUser, TestUser } from '../helpers/users';

describe('Chat with the demo model (no provider configured)', () => {
  let sut: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    sut = await createTestApp();
    user = await createUser(sut);
  });
  afterAll(() => sut.close());

  it('answers a message whole, labelled as the demo, and stores both messages', async () => {
    const res = await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'hello there' }).expect(200);
    const reply = res.body.data;
    expect(reply).toMatchObject({ status: 'complete', model: 'demo:assistant', requires_consent: null, tool_calls: [], results: [] });
    expect(reply.content).toContain('[demo model]');
    expect(reply.content).toContain('hello there');

    const history = await sut.http().get(`/api/v1/chat/conversations/${reply.conversation_id}/messages`).set(bearer(user.accessToken)).expect(200);
    expect(history.body.data.map((m: { role: string }) => m.role)).toEqual(['assistant', 'user']);
    expect(history.body.data[0].content).toBe(reply.content);
  });

  it('streams a reply as SSE frames with increasing ids, done, then [DONE]', async () => {
    const res = await sseRequest(sut.url, { path: '/api/v1/chat/message', token: user.accessToken, body: { message: 'stream please', stream: true } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    expect(res.headers['x-accel-buffering']).toBe('no');
    const events = eventsOf(res.frames);
    expect(events[0].event).toBe('conversation_id');
    const ids = events.map((e) => e.id!);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'complete' } });
    expect(res.frames.at(-1)?.data).toBe('[DONE]');

    const text = events.filter((e) => e.event === 'chunk').map((e) => e.data.content).join('');
    const stored = await sut.http().get(`/api/v1/chat/conversations/${events[0].data.conversation_id}`).set(bearer(user.accessToken)).expect(200);
    expect(stored.body.data.messages.at(-1).content).toBe(text);
  });

  it('stores `done` and frees the conversation before anyone hears `done`', async () => {
    // What the database says at the instant `done` reaches a subscriber: a client that sends, reads
    // or approves right after `done` must find the reply stored and the conversation free.
    const db = sut.app.get(DataSource);
    const atDone: Array<Promise<unknown>> = [];
    const stop = sut.app.get(ReplyStreams).observe((reply, event) => {
      if (event.type !== 'done') return;
      atDone.push(
        db.query(
          `SELECT c.active_reply_id, m.status, (SELECT count(*)::int FROM message_event_batches b WHERE b.conversation_id = c.id AND $3 BETWEEN b.first_seq AND b.last_seq) AS done_stored
             FROM conversations c JOIN messages m ON m.id = $2 WHERE c.id = $1`,
          [reply.conversationId, reply.messageId, event.id],
        ),
      );
    });
    try {
      const first = await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'one' }).expect(200);
      await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'two', conversation_id: first.body.data.conversation_id }).expect(200);
    } finally {
      stop();
    }
    const free = [{ active_reply_id: null, status: 'complete', done_stored: 1 }];
    expect(await Promise.all(atDone)).toEqual([free, free]);
  });

  it('calls a tool and stores the call and its result', async () => {
    const res = await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'calculate 2 * (3 + 4)' }).expect(200);
    const reply = res.body.data;
    expect(reply.tool_calls).toEqual([{ id: expect.any(String), name: 'calculator', arguments: { expression: '2 * (3 + 4)' } }]);
    expect(reply.results).toEqual([{ tool_call_id: reply.tool_calls[0].id, name: 'calculator', content: '14', status: 'success' }]);
    expect(reply.content).toContain('14');
  });

  it('asks for consent before submitting a document, and continues after approval', async () => {
    const first = await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'Please submit a document titled Demo report' }).expect(200);
    expect(first.body.data).toMatchObject({ status: 'awaiting_consent', requires_consent: { status: 'pending' } });
    const request = first.body.data.requires_consent;
    expect(request.actions).toEqual([
      expect.objectContaining({ tool: 'submit_document', arguments: expect.objectContaining({ title: 'Demo report' }) }),
    ]);
    const conversationId = first.body.data.conversation_id;

    // Nothing else is said while a decision is pending; the refusal carries the request to show.
    const refused = await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'and?', conversation_id: conversationId }).expect(409);
    expect(refused.body.error).toEqual({ code: 'CONFLICT', message: expect.any(String), details: { consent_request: request } });

    const decision = await sut.http().post('/api/v1/chat/consent').set(bearer(user.accessToken)).send({ consent_request_id: request.id, approved: true }).expect(200);
    expect(decision.body.data).toMatchObject({ consent_request_id: request.id, status: 'approved', consent_token: expect.any(String) });

    // Re-attach replays the whole reply: through the pause, into the continuation, to its end.
    const replay = await sseRequest(sut.url, { path: `/api/v1/chat/conversations/${conversationId}/stream`, token: user.accessToken });
    const events = eventsOf(replay.frames);
    const statuses = events.filter((e) => e.event === 'done').map((e) => e.data.status);
    expect(statuses).toEqual(['awaiting_consent', 'complete']);
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { message_id: first.body.data.message_id, status: 'complete' } });
    const text = events.filter((e) => e.event === 'chunk').map((e) => e.data.content).join('');
    // The approval reached the tool (this app has no SUBMIT_WEBHOOK_URL to send it to).
    expect(text).toBe('[demo model] The submit_document tool returned: Approved, but not submitted: SUBMIT_WEBHOOK_URL is not configured on this server.');

    const stored = await sut.http().get(`/api/v1/chat/conversations/${conversationId}/messages`).set(bearer(user.accessToken)).expect(200);
    expect(stored.body.data[0]).toMatchObject({ id: first.body.data.message_id, status: 'complete', content: text });
  });
});
