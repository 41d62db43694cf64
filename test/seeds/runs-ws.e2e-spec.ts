import { createTestApp, TestApp } from '../helpers/app';
import { createUser, TestUser } from '../helpers/users';
import { connected, refused, TestSocket } from '../realtime/socket-client';
import { createSession, FAST_RUNS, startRun } from '../runs/run-helpers';
import { Frame, PlainClient, wsUrl } from './plain-ws-client';
// Seed 003's own SDK class, verbatim (see the fixture's header).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MagenticUIClient } = require('./fixtures/magentic-ui-client.js');

const waitFor = async <T>(read: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

/** Resolves once the server answers a ping (the connection passed its token and slot checks). */
const admitted = async (client: PlainClient): Promise<void> => {
  client.send({ type: 'ping' });
  const answer = await Promise.race([client.next((f) => f.type === 'pong', 10_000), client.closed]);
  if (!('type' in answer)) throw new Error(`closed: ${answer.code} ${answer.reason}`);
};

describe('Seed 003 plain WebSocket /api/ws', () => {
  jest.setTimeout(60_000);
  let sut: TestApp;
  let alice: TestUser;

  beforeAll(async () => {
    sut = await createTestApp({ ...FAST_RUNS, REALTIME_MAX_CONNECTIONS_PER_USER: '2' });
    alice = await createUser(sut);
  });
  afterAll(() => sut.close());

  it("runs seed 003's JavaScript MagenticUIClient: session, WebSocket, run_progress and agent_message", async () => {
    const client = new MagenticUIClient(sut.url, alice.accessToken);
    const seen: Frame[] = [];
    const handle = client.handleWebSocketMessage.bind(client);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    client.handleWebSocketMessage = (data: Frame) => {
      seen.push(data);
      handle(data);
    };
    const session = await client.createSession('Research Session', 'AI trends research');
    expect(session).toMatchObject({ status: true, message: 'Session created successfully', data: { name: 'Research Session' } });
    const ws = await client.connectWebSocket(alice.accessToken);
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve);
      ws.addEventListener('error', reject);
    });
    try {
      // The seed's Python client starts runs; the JavaScript one uses fetch with the same headers.
      const started = await fetch(`${sut.url}/api/runs`, { method: 'POST', headers: client.headers, body: JSON.stringify({ session_id: session.data.id, task: 'Research transformer architectures' }) });
      expect(started.status).toBe(202);
      const run = (await started.json()) as { data: { id: string; estimated_completion: string } };
      expect(run).toMatchObject({ status: true, message: 'Run started successfully', data: { status: 'queued' } });
      expect(Date.parse(run.data.estimated_completion)).toBeGreaterThan(0);

      await waitFor(() => seen.find((f) => f.type === 'run_completed' && f.data.run_id === run.data.id));
      const progress = seen.find((f) => f.type === 'run_progress' && f.data.run_id === run.data.id);
      expect(progress?.data.progress).toEqual(expect.objectContaining({ completion_percentage: expect.any(Number) }));
      const message = seen.find((f) => f.type === 'agent_message' && f.data.run_id === run.data.id);
      expect(message?.data).toEqual(expect.objectContaining({ agent: expect.any(String) }));
      expect(seen.find((f) => f.type === 'run_completed')?.data).toMatchObject({ status: 'completed' });
      // The seed's handler logged what it knows.
      expect(log).toHaveBeenCalledWith('Run progress:', expect.objectContaining({ run_id: run.data.id }));
      expect(log).toHaveBeenCalledWith('Agent message:', expect.objectContaining({ run_id: run.data.id }));
    } finally {
      ws.close();
      log.mockRestore();
    }
  });

  it('closes a bad token with 1008 and a reason; refuses a foreign Origin', async () => {
    const bad = await PlainClient.open(wsUrl(sut.url, '/api/ws', 'not-a-jwt'));
    expect(await bad.closed).toEqual({ code: 1008, reason: expect.stringMatching(/^AUTHENTICATION_REQUIRED/) });
    const none = await PlainClient.open(`${sut.url.replace('http', 'ws')}/api/ws`);
    expect((await none.closed).code).toBe(1008);
    await expect(PlainClient.open(wsUrl(sut.url, '/api/ws', alice.accessToken), { Origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
  });

  it('answers malformed frames with {type: "error", code, error} and stays open; ping gets pong', async () => {
    const bob = await createUser(sut);
    const ws = await PlainClient.open(wsUrl(sut.url, '/api/ws', bob.accessToken));
    try {
      ws.send('{not json');
      expect(await ws.next((f) => f.type === 'error')).toMatchObject({ code: 'BAD_REQUEST', error: expect.any(String) });
      ws.send({ type: 'subscribe_run', run_id: 'nope' });
      await ws.next((f) => f.type === 'error' && f.code === 'VALIDATION_ERROR');
      const foreign = await startRun(sut, alice, { session_id: await createSession(sut, alice), task: 'Not yours' });
      ws.send({ type: 'subscribe_run', data: { run_id: foreign } });
      await ws.next((f) => f.type === 'error' && f.code === 'RESOURCE_NOT_FOUND');
      ws.send({ type: 'ping' });
      expect(await ws.next((f) => f.type === 'pong')).toMatchObject({ data: { timestamp: expect.any(String) } });
      expect(ws.frames.filter((f) => f.data?.run_id === foreign)).toEqual([]);
    } finally {
      ws.close();
    }
  });

  it('subscribe_run (both shapes) narrows the feed to the runs named', async () => {
    const carol = await createUser(sut);
    const ws = await PlainClient.open(wsUrl(sut.url, '/api/ws', carol.accessToken));
    try {
      const first = await startRun(sut, carol, { session_id: await createSession(sut, carol), task: 'First' });
      ws.send({ type: 'subscribe_run', run_id: first });
      await ws.next((f) => f.type === 'subscribed' && f.data.run_id === first);
      const mark = ws.frames.length;
      const second = await startRun(sut, carol, { session_id: await createSession(sut, carol), task: 'Second' });
      await ws.next((f) => f.type === 'run_completed' && f.data.run_id === first, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(ws.frames.slice(mark).filter((f) => f.data?.run_id === second)).toEqual([]);
      ws.send({ type: 'subscribe_run', data: { run_id: second } });
      await ws.next((f) => f.type === 'run_completed' && f.data.run_id === second, 30_000);
      // The subscription replays from the start, as Socket.IO's does.
      expect(ws.frames.some((f) => f.type === 'agent_message' && f.data.run_id === second)).toBe(true);
    } finally {
      ws.close();
    }
  });

  it('counts Socket.IO and plain WebSocket connections against one per-user cap', async () => {
    const dave = await createUser(sut);
    const io: TestSocket = await connected(sut.url, dave.accessToken);
    const plain = await PlainClient.open(wsUrl(sut.url, '/ws/chat', dave.accessToken));
    // The token (and slot) is checked after the upgrade: wait until this one is admitted, or
    // the third could win the race for the last slot.
    await admitted(plain);
    try {
      const third = await PlainClient.open(wsUrl(sut.url, '/api/ws', dave.accessToken));
      expect(await third.closed).toEqual({ code: 1008, reason: expect.stringMatching(/^CONNECTION_LIMIT/) });
      expect((await refused(new TestSocket(sut.url, { auth: { token: dave.accessToken } }))).data?.code).toBe('CONNECTION_LIMIT');
      plain.close();
      await plain.closed;
      // Clients that leave before their token was checked give their slot back.
      for (let i = 0; i < 3; i++) (await PlainClient.open(wsUrl(sut.url, '/api/ws', dave.accessToken))).socket.terminate();
      // Their slots come back as the server notices each drop; a later client gets in.
      const again = await waitFor(async () => {
        const client = await PlainClient.open(wsUrl(sut.url, '/api/ws', dave.accessToken));
        return (await admitted(client).then(() => true, () => false)) ? client : undefined;
      }, 10_000);
      again.close();
    } finally {
      io.close();
      plain.close();
    }
  });
});
