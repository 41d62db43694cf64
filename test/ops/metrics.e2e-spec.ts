import request from 'supertest';
import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI } from '../helpers/fake-openai';
import { eventsOf, sseRequest } from '../helpers/sse';
import { bearer, createUser, TestUser } from '../helpers/users';
import { connected } from '../realtime/socket-client';
import { createSession, FAST_RUNS, startRun, waitForRun } from '../runs/run-helpers';

/** Value of one sample line `name{labels} value` whose labels include all of `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (wanted) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('GET /metrics', () => {
  const token = 'metrics-token-for-tests';
  let llm: FakeOpenAI;
  let sut: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    llm = await new FakeOpenAI().start();
    sut = await createTestApp({ ...FAST_RUNS, OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', DEFAULT_MODEL: 'openai:gpt-test', METRICS_TOKEN: token });
    user = await createUser(sut);
  });
  afterAll(async () => {
    await sut.close();
    await llm.stop();
  });

  const scrape = () => request(sut.url).get('/metrics').set(bearer(token));

  it('asks for METRICS_TOKEN and answers Prometheus text outside /api, without the envelope', async () => {
    const refused = await request(sut.url).get('/metrics').expect(401);
    expect(refused.body.error.code).toBe('AUTHENTICATION_REQUIRED');
    await request(sut.url).get('/metrics').set(bearer('wrong-token-of-some-length')).expect(401);
    await request(sut.url).get('/api/metrics').set(bearer(token)).expect(404);

    const res = await scrape().expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(res.text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(sample(res.text, 'db_client_connection_max')).toBe(10);
    expect(sample(res.text, 'http_sse_streams_active')).toBe(0);
  });

  it('shows the request, token and time-to-first-token series after a chat turn', async () => {
    llm.script({ text: 'The quick brown fox jumps over the lazy dog.', delayMs: 20 });
    const res = await sseRequest(sut.url, { path: '/api/v1/chat/message', token: user.accessToken, body: { message: 'tell me', stream: true } });
    const events = eventsOf(res.frames);
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { status: 'complete' } });
    const conversationId = events[0].data.conversation_id as string;
    await sut.http().get(`/api/v1/chat/conversations/${conversationId}`).set(bearer(user.accessToken)).expect(200);

    const text = (await scrape().expect(200)).text;
    const model = { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-test' };
    // Route templates, never ids.
    expect(sample(text, 'http_server_request_duration_seconds_count', { http_route: '/api/v1/chat/message', http_request_method: 'POST', http_response_status_code: '200' })).toBe(1);
    expect(sample(text, 'http_server_request_duration_seconds_count', { http_route: '/api/v1/chat/conversations/:id', http_response_status_code: '200' })).toBe(1);
    expect(text).not.toContain(conversationId);

    expect(sample(text, 'gen_ai_client_token_usage_sum', { ...model, gen_ai_token_type: 'input' })).toBe(11);
    expect(sample(text, 'gen_ai_client_token_usage_sum', { ...model, gen_ai_token_type: 'output' })).toBe(7);
    expect(sample(text, 'gen_ai_client_operation_duration_seconds_count', { ...model, error_type: '' })).toBe(1);
    const duration = sample(text, 'gen_ai_client_operation_duration_seconds_sum', model)!;
    const ttftCount = sample(text, 'gen_ai_server_time_to_first_token_seconds_count', model);
    const ttft = sample(text, 'gen_ai_server_time_to_first_token_seconds_sum', model)!;
    expect(ttftCount).toBe(1);
    expect(ttft).toBeGreaterThan(0);
    expect(ttft).toBeLessThanOrEqual(duration);
    expect(duration).toBeLessThan(10);
    expect(sample(text, 'http_sse_streams_active')).toBe(0);
  });

  it('counts tool executions by outcome', async () => {
    llm.script({ toolCall: { name: 'calculator', args: { expression: '6*7' } } }, { text: '42' });
    await sut.http().post('/api/v1/chat/message').set(bearer(user.accessToken)).send({ message: 'compute' }).expect(200);
    const text = (await scrape()).text;
    expect(sample(text, 'gen_ai_tool_calls_total', { gen_ai_tool_name: 'calculator', outcome: 'success' })).toBe(1);
    expect(sample(text, 'gen_ai_client_operation_duration_seconds_count', { gen_ai_request_model: 'gpt-test', error_type: '' })).toBe(3);
  });

  it('counts open SSE streams and sockets while they are open', async () => {
    llm.script({ text: 'one two three four five six seven eight', delayMs: 100 });
    const socket = await connected(sut.url, user.accessToken);
    const stream = sseRequest(sut.url, {
      path: '/api/v1/chat/message',
      token: user.accessToken,
      body: { message: 'slowly', stream: true },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const during = (await scrape()).text;
    await stream;
    socket.close();
    expect(sample(during, 'http_sse_streams_active')).toBe(1);
    expect(sample(during, 'socketio_connected_sockets')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = (await scrape()).text;
    expect(sample(after, 'http_sse_streams_active')).toBe(0);
    expect(sample(after, 'socketio_connected_sockets')).toBe(0);
  });

  it('shows runs by status, the queue depth and the queue wait', async () => {
    // runs_active counts every instance's runs, and suites share a database: compare with before.
    const idle = (await scrape()).text;
    const before = Object.fromEntries(['queued', 'running', 'awaiting_consent'].map((status) => [status, sample(idle, 'runs_active', { status })!]));
    for (const count of Object.values(before)) expect(count).toBeGreaterThanOrEqual(0);
    expect(sample(idle, 'runs_queue_wait_seconds_count')).toBe(0);

    // 6 s of model output: long enough for a pg-boss monitor pass (every 2 s) to count its job.
    llm.script({ text: Array.from({ length: 60 }, (_, i) => `part${i}`).join(' '), delayMs: 100 });
    const id = await startRun(sut, user, { session_id: await createSession(sut, user), task: 'Measure me' });
    await waitForRun(sut, user, id, (run) => run.status === 'running' && run.messages.length > 0);
    const during = (await scrape()).text;
    expect(sample(during, 'runs_active', { status: 'running' })).toBe(before.running + 1);
    expect(sample(during, 'runs_active', { status: 'queued' })).toBe(before.queued);
    const depth = (text: string) => ['ready', 'deferred', 'active'].map((state) => sample(text, 'runs_queue_jobs', { state }));
    let counted = depth(during);
    for (const started = Date.now(); counted[2] !== 1 && Date.now() - started < 5000; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      counted = depth((await scrape()).text);
    }
    expect(counted).toEqual([0, 0, 1]);

    const run = await waitForRun(sut, user, id);
    expect(run.status).toBe('completed');
    const after = (await scrape()).text;
    expect(sample(after, 'runs_active', { status: 'running' })).toBe(before.running);
    expect(sample(after, 'runs_finished_total', { status: 'completed' })).toBe(1);
    // One job taken by a worker; it waited at most a few poll intervals (RUN_QUEUE_POLL_MS 500).
    expect(sample(after, 'runs_queue_wait_seconds_count')).toBe(1);
    const wait = sample(after, 'runs_queue_wait_seconds_sum')!;
    expect(wait).toBeGreaterThanOrEqual(0);
    expect(wait).toBeLessThan(5);
    // pg-boss's counts settle at its next monitor pass (RUN_SUPERVISE_SECONDS 2): nothing left.
    let settled = depth(after);
    for (const started = Date.now(); settled.some((n) => n !== 0) && Date.now() - started < 15_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      settled = depth((await scrape()).text);
    }
    expect(settled).toEqual([0, 0, 0]);
  });
});
