import { JwtService } from '@nestjs/jwt';
import { RealtimeEmitter } from '../../src/modules/realtime/realtime.emitter';
import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI } from '../helpers/fake-openai';
import { eventsOf, sseRequest } from '../helpers/sse';
import { bearer, createAdmin, createUser, TestUser } from '../helpers/users';
import { connected, refused, sleep, TestSocket } from './socket-client';

describe('Realtime gateway (/assistant/realtime)', () => {
  // Replies, disconnect deadlines and second app boots take seconds when suites run in parallel.
  jest.setTimeout(30_000);

  let sut: TestApp;
  let user: TestUser;
  let admin: TestUser;
  const open: TestSocket[] = [];

  const connect = async (token: string, options = {}) => {
    const socket = await connected(sut.url, token, options);
    open.push(socket);
    return socket;
  };
  const newSocket = (options: ConstructorParameters<typeof TestSocket>[1]) => {
    const socket = new TestSocket(sut.url, options);
    open.push(socket);
    return socket;
  };
  /** Re-signs a real token's claims with another expiry (same secret, issuer, audience). */
  const tokenExpiringIn = (token: string, seconds: number) => {
    const jwt = new JwtService();
    const claims = jwt.decode<Record<string, unknown>>(token);
    const { sub, sid, email, username, roles } = claims;
    return jwt.sign(
      { sub, sid, email, username, roles, exp: Math.floor(Date.now() / 1000) + seconds },
      { secret: sut.config.auth.jwtSecret, algorithm: 'HS256', issuer: sut.config.auth.issuer, audience: sut.config.auth.audience },
    );
  };

  beforeAll(async () => {
    sut = await createTestApp({ REALTIME_SESSION_CHECK_INTERVAL: '1s' });
    admin = await createAdmin(sut);
    user = await createUser(sut);
  });
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  afterAll(() => sut.close());

  describe('authentication', () => {
    it('accepts the token from handshake auth, the access cookie and ?token=', async () => {
      const viaAuth = await connect(user.accessToken);
      expect(viaAuth.raw.connected).toBe(true);
      const viaCookie = await newSocket({ extraHeaders: { Cookie: `access_token=${user.accessToken}` } }).connect();
      expect(viaCookie.raw.connected).toBe(true);
      const viaQuery = await newSocket({ query: { token: user.accessToken } }).connect();
      expect(viaQuery.raw.connected).toBe(true);
    });

    it('refuses a missing, forged or expired token with connect_error and a code', async () => {
      expect((await refused(newSocket({}))).data).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
      expect((await refused(newSocket({ auth: { token: `${user.accessToken}x` } }))).data).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
      expect((await refused(newSocket({ auth: { token: tokenExpiringIn(user.accessToken, -10) } }))).data).toMatchObject({ code: 'TOKEN_EXPIRED' });
    });

    it('refuses a browser Origin not listed in CORS_ORIGINS, and accepts a listed one', async () => {
      const foreign = await refused(newSocket({ auth: { token: user.accessToken }, extraHeaders: { Origin: 'https://evil.example' } }));
      expect(foreign.data).toBeUndefined();
      const listed = await connect(user.accessToken, { extraHeaders: { Origin: 'http://localhost:5173' } });
      expect(listed.raw.connected).toBe(true);
    });

    it('refuses a sixth concurrent connection with CONNECTION_LIMIT, and frees a slot on disconnect', async () => {
      const owner = await createUser(sut);
      const five = await Promise.all(Array.from({ length: 5 }, () => connect(owner.accessToken)));
      expect((await refused(newSocket({ auth: { token: owner.accessToken } }))).data).toMatchObject({ code: 'CONNECTION_LIMIT' });
      five[0].close();
      await sleep(200);
      expect((await connect(owner.accessToken)).raw.connected).toBe(true);
    });

    it('disconnects a socket when its token expires, with a final TOKEN_EXPIRED error', async () => {
      const socket = await connect(tokenExpiringIn(user.accessToken, 2));
      await socket.waitForDisconnect(5000);
      expect(socket.received.find((r) => r.event === 'error')?.payload).toMatchObject({ code: 'TOKEN_EXPIRED' });
    });

    it('disconnects sockets within seconds after logout', async () => {
      const other = await createUser(sut);
      const socket = await connect(other.accessToken);
      await sut.http().post('/api/v1/auth/logout').set(bearer(other.accessToken)).expect(200);
      await socket.waitForDisconnect(5000);
      expect(socket.received.find((r) => r.event === 'error')?.payload).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
      expect((await refused(newSocket({ auth: { token: other.accessToken } }))).data).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
    });

    it('disconnects a disabled user within seconds', async () => {
      const target = await createUser(sut);
      const socket = await connect(target.accessToken);
      await sut.http().patch(`/api/v1/admin/users/${target.id}`).set(bearer(admin.accessToken)).send({ disabled: true }).expect(200);
      await socket.waitForDisconnect(5000);
    });
  });

  describe('rooms', () => {
    it('creates a room (a conversation), joins it, and answers ping with pong', async () => {
      const socket = await connect(user.accessToken);
      const created = await socket.emit('create_room', { title: 'Socket room' });
      expect(created).toMatchObject({ ok: true, data: { room_id: expect.any(String), title: 'Socket room' } });
      expect((await socket.waitFor((r) => r.event === 'room_created')).payload).toEqual({ room_id: created.ok && created.data.room_id, title: 'Socket room' });
      const rest = await sut.http().get(`/api/v1/chat/conversations/${created.ok && created.data.room_id}`).set(bearer(user.accessToken)).expect(200);
      expect(rest.body.data.title).toBe('Socket room');

      expect(await socket.emit('ping')).toMatchObject({ ok: true, data: { timestamp: expect.any(String) } });
      await socket.waitFor((r) => r.event === 'pong');
    });

    it('tells room members when the owner joins and leaves from another socket', async () => {
      const first = await connect(user.accessToken);
      const created = await first.emit('create_room', {});
      const roomId = created.ok ? created.data.room_id : '';
      const second = await connect(user.accessToken);
      expect(await second.emit('join_room', { room_id: roomId })).toMatchObject({ ok: true, data: { room_id: roomId } });
      await second.waitFor((r) => r.event === 'room_joined');
      expect((await first.waitFor((r) => r.event === 'user_joined')).payload).toEqual({ room_id: roomId, user_id: user.id, username: user.username });
      expect(await second.emit('leave_room', { room_id: roomId })).toMatchObject({ ok: true, data: { left: true } });
      expect((await first.waitFor((r) => r.event === 'user_left')).payload).toMatchObject({ room_id: roomId, user_id: user.id });
    });

    it("refuses another user's room as RESOURCE_NOT_FOUND, and its events never reach them", async () => {
      const owner = await connect(user.accessToken);
      const created = await owner.emit('create_room', {});
      const roomId = created.ok ? created.data.room_id : '';
      const stranger = await createUser(sut);
      const intruder = await connect(stranger.accessToken);
      expect(await intruder.emit('join_room', { room_id: roomId })).toEqual({ ok: false, error: { code: 'RESOURCE_NOT_FOUND', message: 'Conversation not found' } });
      expect(await intruder.emit('send_message', { room_id: roomId, message: 'hi' })).toMatchObject({ ok: false, error: { code: 'RESOURCE_NOT_FOUND' } });
      expect(await intruder.emit('cancel', { room_id: roomId })).toMatchObject({ ok: false, error: { code: 'RESOURCE_NOT_FOUND' } });

      await owner.emit('send_message', { room_id: roomId, message: 'private' });
      await owner.waitFor((r) => r.event === 'done');
      expect(intruder.received.filter((r) => r.event !== 'pong')).toEqual([]);
    });

    it('validates payloads like REST bodies (VALIDATION_ERROR with field details)', async () => {
      const socket = await connect(user.accessToken);
      expect(await socket.emit('join_room', { room_id: 'nope' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_ERROR', details: { room_id: expect.any(Array) } } });
      expect(await socket.emit('send_message', { room_id: '00000000-0000-4000-8000-000000000000', message: '', extra: 1 })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_ERROR', details: { message: expect.any(Array), extra: expect.any(Array) } },
      });
      expect(await socket.emit('join_room', 'not an object')).toMatchObject({ ok: false, error: { code: 'VALIDATION_ERROR' } });
      expect(await socket.emit('consent', { consent_request_id: '00000000-0000-4000-8000-000000000000', approved: true, stream: true })).toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_ERROR', details: { stream: expect.any(Array) } },
      });
    });
  });

  describe('messages and replies', () => {
    it('streams a full reply with consent approval over the socket, readable over REST too', async () => {
      const socket = await connect(user.accessToken);
      const created = await socket.emit('create_room', {});
      const roomId = created.ok ? created.data.room_id : '';

      const sent = await socket.emit('send_message', { room_id: roomId, message: 'Please submit a document titled Socket report' });
      expect(sent).toEqual({ ok: true, data: { conversation_id: roomId, message_id: expect.any(String) } });
      const messageId = sent.ok ? sent.data.message_id : '';
      expect((await socket.waitFor((r) => r.event === 'message_received')).payload).toMatchObject({
        room_id: roomId,
        role: 'user',
        content: 'Please submit a document titled Socket report',
        user_id: user.id,
        reply_message_id: messageId,
      });
      const paused = await socket.waitFor((r) => r.event === 'done');
      expect(paused.payload).toMatchObject({ status: 'awaiting_consent', conversation_id: roomId, message_id: messageId });
      const request = (await socket.waitFor((r) => r.event === 'consent_required')).payload.consent_request;
      expect(request.actions[0]).toMatchObject({ tool: 'submit_document', arguments: expect.objectContaining({ title: 'Socket report' }) });

      // A second message while consent is pending is refused, as over REST, with the request to show.
      expect(await socket.emit('send_message', { room_id: roomId, message: 'and?' })).toEqual({
        ok: false,
        error: { code: 'CONFLICT', message: expect.any(String), details: { consent_request: request } },
      });

      const decision = await socket.emit('consent', { consent_request_id: request.id, approved: true });
      expect(decision).toMatchObject({ ok: true, data: { consent_request_id: request.id, status: 'approved', consent_token: expect.any(String) } });
      await socket.waitFor((r) => r.event === 'done' && r.payload.status !== 'awaiting_consent');

      const events = socket.streamOf(roomId);
      const ids = events.map((e) => e.payload.id as number);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(events.every((e) => e.payload.message_id === messageId)).toBe(true);
      expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['chunk', 'tool_calls', 'consent_required', 'done']));
      expect(events.at(-1)).toMatchObject({ event: 'done', payload: { status: 'complete' } });

      // The same events over REST (re-attach from storage, ids included), through the consent pause.
      const restEvents = eventsOf((await sseRequest(sut.url, { path: `/api/v1/chat/conversations/${roomId}/stream`, token: user.accessToken, headers: { 'Last-Event-ID': '0' } })).frames);
      expect(restEvents.map((e) => [e.id, e.event])).toEqual(events.map((e) => [e.payload.id, e.event]));
      const chunks = (list: Array<{ event: string; content: unknown }>) => list.filter((e) => e.event === 'chunk').map((e) => e.content).join('');
      expect(chunks(events.map((e) => ({ event: e.event, content: e.payload.content })))).toBe(chunks(restEvents.map((e) => ({ event: e.event, content: e.data.content }))));
    });

    it('streams a reply started over REST to the room', async () => {
      const socket = await connect(user.accessToken);
      const created = await socket.emit('create_room', {});
      const roomId = created.ok ? created.data.room_id : '';
      const res = await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'hello from REST', conversation_id: roomId }).expect(200);
      const done = await socket.waitFor((r) => r.event === 'done');
      expect(done.payload).toMatchObject({ conversation_id: roomId, message_id: res.body.data.message_id, status: 'complete' });
      const text = socket.streamOf(roomId).filter((e) => e.event === 'chunk').map((e) => e.payload.content).join('');
      expect(text).toBe(res.body.data.content);
    });

    it('offers a reply to its room only while a socket of this instance is in it (no Redis adapter)', async () => {
      const socket = await connect(user.accessToken);
      const created = await socket.emit('create_room', {});
      const roomId = created.ok ? created.data.room_id : '';
      const namespace = (sut.app.get(RealtimeEmitter) as unknown as { namespace: { adapter: { broadcast: (...args: unknown[]) => void } } }).namespace;
      const broadcast = jest.spyOn(namespace.adapter, 'broadcast');
      const toRoom = () => broadcast.mock.calls.filter(([, opts]) => (opts as { rooms: Set<string> }).rooms.has(`conversation:${roomId}`)).length;
      try {
        expect(await socket.emit('leave_room', { room_id: roomId })).toMatchObject({ ok: true });
        broadcast.mockClear(); // leave_room told the (now empty) room itself
        await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'nobody listens', conversation_id: roomId }).expect(200);
        expect(toRoom()).toBe(0);
        expect(await socket.emit('join_room', { room_id: roomId })).toMatchObject({ ok: true });
        await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'someone listens', conversation_id: roomId }).expect(200);
        await socket.waitFor((r) => r.event === 'done');
        expect(toRoom()).toBeGreaterThan(1);
      } finally {
        broadcast.mockRestore();
      }
    });

    it('cancels the reply being generated in a room: done is interrupted, with part of the text', async () => {
      // A slow model, so the cancel lands mid-reply (the demo answers in a few milliseconds).
      const llm = await new FakeOpenAI().start();
      const slow = await createTestApp({ OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', DEFAULT_MODEL: 'openai:gpt-test' });
      try {
        const someone = await createUser(slow);
        const socket = await connected(slow.url, someone.accessToken);
        open.push(socket);
        const created = await socket.emit('create_room', {});
        const roomId = created.ok ? created.data.room_id : '';
        const full = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
        llm.script({ text: full, delayMs: 50 });
        await socket.emit('send_message', { room_id: roomId, message: 'hello' });
        await socket.waitFor((r) => r.event === 'chunk');

        expect(await socket.emit('cancel', { room_id: roomId })).toEqual({ ok: true, data: { conversation_id: roomId, cancelled: true } });
        const done = await socket.waitFor((r) => r.event === 'done');
        expect(done.payload).toMatchObject({ conversation_id: roomId, status: 'interrupted' });
        const text = socket
          .streamOf(roomId)
          .filter((e) => e.event === 'chunk')
          .map((e) => e.payload.content)
          .join('');
        expect(text.length).toBeGreaterThan(0);
        expect(text.length).toBeLessThan(full.length);
        expect(full.startsWith(text)).toBe(true);
        const history = await slow.http().get(`/api/v1/chat/conversations/${roomId}/messages`).set(bearer(someone.accessToken)).expect(200);
        expect(history.body.data[0]).toMatchObject({ id: done.payload.message_id, status: 'interrupted', content: text, error: null });
      } finally {
        await slow.close();
        await llm.stop();
      }
    });
  });

  it('closes sockets with a final SERVICE_UNAVAILABLE error on graceful shutdown', async () => {
    const other = await createTestApp();
    try {
      const someone = await createUser(other);
      const socket = await connected(other.url, someone.accessToken);
      open.push(socket);
      const disconnected = socket.waitForDisconnect(5000);
      await other.close();
      await disconnected;
      expect(socket.received.find((r) => r.event === 'error')?.payload).toEqual({ code: 'SERVICE_UNAVAILABLE', message: expect.any(String) });
    } finally {
      await other.close().catch(() => undefined);
    }
  });
});
