import createClient from 'openapi-fetch';
import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from '../helpers/app';
// Generated from the committed openapi.json by `npm run client:types` (typecheck runs it first):
// if the spec drifts from what the server sends, this suite stops compiling or fails.
import type { paths } from './api-types';

/** An SDK-style client generated from openapi.json, driving the real server. */
describe('Typed client from openapi.json', () => {
  let sut: TestApp;
  beforeAll(async () => {
    sut = await createTestApp({ RUN_WORKERS: '0' });
  });
  afterAll(() => sut.close());

  it('signs up, chats, opens a session and starts a run with envelope-typed responses and errors', async () => {
    const anonymous = createClient<paths>({ baseUrl: sut.url });
    const suffix = randomUUID().slice(0, 8);
    const registered = await anonymous.POST('/api/v1/auth/register', {
      body: { email: `typed-${suffix}@example.com`, username: `typed-${suffix}`, password: 'a-long-enough-password-1' },
    });
    expect(registered.response.status).toBe(201);
    const token = registered.data!.data.access_token;
    expect(registered.data!.status).toBe(true);

    const api = createClient<paths>({ baseUrl: sut.url, headers: { Authorization: `Bearer ${token}` } });
    const me = await api.GET('/api/v1/auth/me');
    expect(me.data!.data.email).toBe(`typed-${suffix}@example.com`);

    const conversation = await api.POST('/api/v1/chat/conversations', { body: { title: 'Typed' } });
    expect(conversation.response.status).toBe(201);
    const conversationId = conversation.data!.data.id;

    const reply = await api.POST('/api/v1/chat/message', { body: { message: 'hello', conversation_id: conversationId, stream: false } });
    expect(reply.response.status).toBe(200);
    // The spec says this route answers JSON or Server-Sent Events; without `stream` it is JSON.
    if (typeof reply.data !== 'object') throw new Error(`expected the JSON reply, got ${typeof reply.data}`);
    expect(reply.data.data.conversation_id).toBe(conversationId);
    expect(reply.data.data.content).toContain('[demo model]');
    expect(reply.data.data.requires_consent).toBeNull();

    const list = await api.GET('/api/v1/chat/conversations', { params: { query: { limit: 10 } } });
    expect(list.data!.pagination).toMatchObject({ total: 1, limit: 10, offset: 0, has_more: false });
    expect(list.data!.data[0].message_count).toBe(2);

    const session = await api.POST('/api/v1/sessions', { body: { name: 'Typed session' } });
    expect(session.data!.message).toBe('Session created successfully');
    const run = await api.POST('/api/v1/runs', { body: { session_id: session.data!.data.id, task: 'Summarize typing' } });
    expect(run.response.status).toBe(202);
    expect(run.data!.data.status).toBe('queued');

    const missing = await api.GET('/api/v1/sessions/{id}', { params: { path: { id: randomUUID() } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error!.error.code).toBe('RESOURCE_NOT_FOUND');
    expect(missing.error!.status).toBe(false);
  });
});
