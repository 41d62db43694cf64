import { randomBytes } from 'node:crypto';
import { createTestApp, TestApp } from '../helpers/app';
import { bearer, createUser, TestUser } from '../helpers/users';
import { connected, refused, sleep, TestSocket } from './socket-client';

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl && process.env.CI === 'true') throw new Error('TEST_REDIS_URL is required under CI=true');
const describeWithRedis = redisUrl ? describe : describe.skip;

describeWithRedis('Realtime across two instances sharing Redis', () => {
  // Replies, disconnect deadlines and second app boots take seconds when suites run in parallel.
  jest.setTimeout(30_000);

  let first: TestApp;
  let second: TestApp;
  let user: TestUser;
  const open: TestSocket[] = [];

  const connect = async (app: TestApp, who: TestUser = user) => {
    const socket = await connected(app.url, who.accessToken);
    open.push(socket);
    return socket;
  };

  beforeAll(async () => {
    // A prefix of its own, so parallel runs and other suites never share channels or counters.
    const settings = { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: `test-rt-${randomBytes(4).toString('hex')}:` };
    first = await createTestApp(settings);
    second = await createTestApp(settings);
    user = await createUser(first);
  });
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('delivers a reply generated on one instance to a client connected to the other', async () => {
    const listener = await connect(second);
    const created = await listener.emit('create_room', { title: 'Across instances' });
    const roomId = created.ok ? created.data.room_id : '';

    // Started over REST on the first instance: the runner, and the published events, live there.
    const res = await first.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'hello across', conversation_id: roomId }).expect(200);
    const done = await listener.waitFor((r) => r.event === 'done');
    expect(done.payload).toMatchObject({ conversation_id: roomId, message_id: res.body.data.message_id, status: 'complete' });
    const text = listener.streamOf(roomId).filter((e) => e.event === 'chunk').map((e) => e.payload.content).join('');
    expect(text).toBe(res.body.data.content);

    // And the other way round: sent over a socket on the first, received on the second.
    const sender = await connect(first);
    await sender.emit('join_room', { room_id: roomId });
    const sent = await sender.emit('send_message', { room_id: roomId, message: 'second round' });
    expect(sent.ok).toBe(true);
    await listener.waitFor((r) => r.event === 'message_received' && r.payload.content === 'second round');
    await listener.waitFor((r) => r.event === 'done' && r.payload.message_id === (sent.ok && sent.data.message_id));
  });

  it('counts the connection cap across instances', async () => {
    const owner = await createUser(first);
    await Promise.all([connect(first, owner), connect(first, owner), connect(first, owner), connect(second, owner), connect(second, owner)]);
    expect((await refused(new TestSocket(first.url, { auth: { token: owner.accessToken } }))).data).toMatchObject({ code: 'CONNECTION_LIMIT' });
    expect((await refused(new TestSocket(second.url, { auth: { token: owner.accessToken } }))).data).toMatchObject({ code: 'CONNECTION_LIMIT' });
    open.pop()!.close();
    await sleep(200);
    await connect(first, owner);
  });
});
