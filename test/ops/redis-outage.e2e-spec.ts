import { randomBytes } from 'node:crypto';
import { createTestApp, TestApp } from '../helpers/app';
import { TcpProxy } from '../helpers/tcp-proxy';
import { bearer, createUser, TestUser } from '../helpers/users';
import { connected, sleep, TestSocket } from '../realtime/socket-client';

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl && process.env.CI === 'true') throw new Error('TEST_REDIS_URL is required under CI=true');
const describeWithRedis = redisUrl ? describe : describe.skip;

describeWithRedis('Redis outage with two instances (through a TCP proxy in front of the test Redis)', () => {
  jest.setTimeout(60_000);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let proxy: TcpProxy;
  let first: TestApp;
  let second: TestApp;
  let user: TestUser;
  const open: TestSocket[] = [];

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    proxy = await TcpProxy.forUrl(redisUrl!).start();
    const settings = { REDIS_URL: proxy.urlFor(redisUrl!), REDIS_KEY_PREFIX: `test-outage-${randomBytes(4).toString('hex')}:` };
    first = await createTestApp(settings);
    second = await createTestApp(settings);
    user = await createUser(first);
  });
  afterAll(async () => {
    for (const socket of open) socket.close();
    await proxy.start().catch(() => undefined);
    await second?.close();
    await first?.close();
    await proxy?.stop();
    process.off('unhandledRejection', onUnhandled);
  });

  const connect = async (app: TestApp) => {
    const socket = await connected(app.url, user.accessToken);
    open.push(socket);
    return socket;
  };
  /** Sends over REST on `app` and answers the reply's message id. */
  const send = async (app: TestApp, conversationId: string, message: string) =>
    (await app.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message, conversation_id: conversationId }).expect(200)).body.data.message_id as string;
  const doneFor = (socket: TestSocket, messageId: string) => socket.received.some((r) => r.event === 'done' && r.payload.message_id === messageId);

  it('keeps each instance serving its own sockets and REST while Redis is down, and fans out again when it returns', async () => {
    const onFirst = await connect(first);
    const onSecond = await connect(second);
    const created = await onFirst.emit('create_room', { title: 'Outage room' });
    const roomId = created.ok ? (created.data.room_id as string) : '';
    await onSecond.emit('join_room', { room_id: roomId });

    const before = await send(first, roomId, 'before the outage');
    await onSecond.waitFor((r) => r.event === 'done' && r.payload.message_id === before);

    await proxy.stop();
    await sleep(300);

    // REST on both instances (rate limits now counted per instance), and a new socket connects.
    await first.http().get('/api/v1/chat/conversations').set(bearer(user.accessToken)).expect(200);
    await second.http().get('/api/v1/chat/conversations').set(bearer(user.accessToken)).expect(200);
    const late = await connect(second);
    expect(late.raw.connected).toBe(true);

    // Each instance still delivers to its own sockets.
    const during = await send(first, roomId, 'during the outage');
    await onFirst.waitFor((r) => r.event === 'done' && r.payload.message_id === during);
    const sent = await onSecond.emit('send_message', { room_id: roomId, message: 'from the second, during' });
    expect(sent.ok).toBe(true);
    const sentId = sent.ok ? (sent.data.message_id as string) : '';
    await onSecond.waitFor((r) => r.event === 'done' && r.payload.message_id === sentId);

    await proxy.start();
    // Fan-out resumes once the adapter's clients reconnect (ioredis backs off up to 2 s).
    const deadline = Date.now() + 15_000;
    let resumed = false;
    while (!resumed && Date.now() < deadline) {
      const id = await send(first, roomId, 'after the outage');
      await sleep(500);
      resumed = doneFor(onSecond, id);
    }
    expect(resumed).toBe(true);
    await first.http().get('/api/ready').expect(200);
    await second.http().get('/api/ready').expect(200);
    expect(unhandled).toEqual([]);
  });
});
