import { createTestApp, TestApp } from '../helpers/app';
import { eventsOf, sseRequest } from '../helpers/sse';
import { createUser, TestUser } from '../helpers/users';
import { connected, TestSocket } from '../realtime/socket-client';
import { createSession, FAST_RUNS, startRun, waitForRun } from './run-helpers';

const RUN_EVENTS = ['run_status', 'run_progress', 'agent_message', 'chunk', 'tool_calls', 'results', 'consent_required', 'run_completed'];

describe('Run events on Socket.IO', () => {
  jest.setTimeout(30_000);
  let sut: TestApp;
  let user: TestUser;
  let stranger: TestUser;
  const open: TestSocket[] = [];
  const connect = async (who: TestUser) => {
    const socket = await connected(sut.url, who.accessToken);
    open.push(socket);
    return socket;
  };

  beforeAll(async () => {
    sut = await createTestApp(FAST_RUNS);
    user = await createUser(sut);
    stranger = await createUser(sut);
  });
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  afterAll(() => sut.close());

  it('subscribe_run delivers the run events in order, the same as SSE; other sockets of the owner get run_completed', async () => {
    const subscriber = await connect(user);
    const bystander = await connect(user);
    const id = await startRun(sut, user, { session_id: await createSession(sut, user), task: 'Socket research', team_id: 'research-team' });
    const ack = await subscriber.emit('subscribe_run', { run_id: id });
    expect(ack).toMatchObject({ ok: true, data: { run_id: id } });
    await subscriber.waitFor((r) => r.event === 'run_completed');
    const received = subscriber.received.filter((r) => RUN_EVENTS.includes(r.event));
    expect(received.map((r) => r.payload.id)).toEqual(received.map((_, index) => index + 1));
    expect(received.filter((r) => r.event === 'run_completed')).toHaveLength(1);
    expect(received.at(-1)).toMatchObject({ event: 'run_completed', payload: { run_id: id, status: 'completed' } });
    expect(received.some((r) => r.event === 'agent_message' && r.payload.agent === 'analyst')).toBe(true);

    const sse = eventsOf((await sseRequest(sut.url, { path: `/api/v1/runs/${id}/stream`, token: user.accessToken })).frames);
    expect(received.map((r) => [r.payload.id, r.event])).toEqual(sse.map((e) => [e.id, e.event]));

    const told = await bystander.waitFor((r) => r.event === 'run_completed');
    expect(told.payload).toMatchObject({ run_id: id, status: 'completed', team_result: { summary: expect.any(String) } });

    // Re-subscribing after an id replays exactly the rest.
    const late = await connect(user);
    await late.emit('subscribe_run', { run_id: id, last_event_id: 5 });
    await late.waitFor((r) => r.event === 'run_completed');
    expect(late.received.filter((r) => RUN_EVENTS.includes(r.event)).map((r) => r.payload.id)).toEqual(sse.slice(5).map((e) => e.id));
  });

  it('refuses another user (RESOURCE_NOT_FOUND) and bad payloads (VALIDATION_ERROR)', async () => {
    const id = await startRun(sut, user, { session_id: await createSession(sut, user), task: 'Mine' });
    const intruder = await connect(stranger);
    expect(await intruder.emit('subscribe_run', { run_id: id })).toMatchObject({ ok: false, error: { code: 'RESOURCE_NOT_FOUND' } });
    expect(await intruder.emit('subscribe_run', { run_id: 'nope' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_ERROR' } });
    await waitForRun(sut, user, id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(intruder.received.filter((r) => RUN_EVENTS.includes(r.event))).toEqual([]);
  });
});
