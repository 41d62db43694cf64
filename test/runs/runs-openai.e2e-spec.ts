import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI } from '../helpers/fake-openai';
import { eventsOf, sseRequest } from '../helpers/sse';
import { bearer, createUser, TestUser } from '../helpers/users';
import { createSession, FAST_RUNS, getRun, startRun, waitForRun } from './run-helpers';

describe('Runs through the real OpenAI client', () => {
  jest.setTimeout(60_000);
  let llm: FakeOpenAI;
  let sut: TestApp;
  let apiOnly: TestApp;
  let user: TestUser;
  let stranger: TestUser;

  const model = 'openai:gpt-test';
  const team = async (type: string, agents: string[], maxIterations = 5) => {
    const res = await sut
      .http()
      .post('/api/v1/teams')
      .set(bearer(user.accessToken))
      .send({
        name: `${type} ${agents.join(' ')} ${Math.random()}`,
        agents: agents.map((name) => ({ name, role: name, model, system_prompt: `You are the ${name}.` })),
        orchestration: { type, max_iterations: maxIterations, timeout_minutes: 5 },
      })
      .expect(201);
    return res.body.data.id as string;
  };

  beforeAll(async () => {
    llm = await new FakeOpenAI().start();
    const settings = { ...FAST_RUNS, OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key', DEFAULT_MODEL: model, LLM_TIMEOUT_MS: '5000' };
    sut = await createTestApp(settings);
    // A second instance that serves the API only (RUN_WORKERS=0): the cancel comes from here.
    apiOnly = await createTestApp({ ...settings, RUN_WORKERS: '0' });
    user = await createUser(sut);
    stranger = await createUser(sut);
  });
  let seen = 0;
  /** The model calls of the current test. */
  const calls = () => llm.requests.slice(seen);
  beforeEach(() => {
    llm.reset();
    seen = llm.requests.length;
  });
  afterAll(async () => {
    await apiOnly.close();
    await sut.close();
    await llm.stop();
  });

  it('sequential: each member once, in order, each seeing the earlier output', async () => {
    const teamId = await team('sequential', ['researcher', 'writer']);
    llm.script({ text: 'Facts:\n- alpha grows\n- beta shrinks' }, { text: 'Report: alpha up, beta down.\n- alpha leads' });
    const id = await startRun(sut, user, { session_id: await createSession(sut, user), task: 'Compare alpha and beta', team_id: teamId });
    const run = await waitForRun(sut, user, id);
    expect(run).toMatchObject({ status: 'completed', progress: { completion_percentage: 100, steps_completed: 2, total_steps: 2 } });
    expect(run.messages.filter((m: { type: string }) => m.type === 'message')).toEqual([
      expect.objectContaining({ agent: 'researcher', content: 'Facts:\n- alpha grows\n- beta shrinks' }),
      expect.objectContaining({ agent: 'writer', content: 'Report: alpha up, beta down.\n- alpha leads' }),
    ]);
    expect(run.team_result).toEqual({ summary: 'Report: alpha up, beta down.', key_findings: ['alpha grows', 'beta shrinks', 'alpha leads'], deliverables: [] });
    expect(run.usage).toEqual({ input_tokens: 22, output_tokens: 14, total_tokens: 36 });
    expect(calls()).toHaveLength(2);
    expect(JSON.stringify(calls()[1].messages)).toContain('[researcher]: Facts:');
    expect(calls()[0].messages[0]).toMatchObject({ role: 'system', content: [{ type: 'text', text: 'You are the researcher.' }] });
  });

  it('round_robin: members take turns until one gives the final answer', async () => {
    const teamId = await team('round_robin', ['proposer', 'critic'], 6);
    llm.script({ text: 'Idea one' }, { text: 'Needs work' }, { text: 'FINAL ANSWER: idea two\n- better' });
    const id = await startRun(sut, user, { session_id: await createSession(sut, user), task: 'Pick an idea', team_id: teamId });
    const run = await waitForRun(sut, user, id);
    expect(run.status).toBe('completed');
    const spoken = run.messages.filter((m: { type: string }) => m.type === 'message').map((m: { agent: string }) => m.agent);
    expect(spoken).toEqual(['proposer', 'critic', 'proposer']);
    expect(run.progress.completion_percentage).toBe(100);
    expect(run.team_result).toMatchObject({ summary: 'idea two', key_findings: ['better'] });
    expect(calls()).toHaveLength(3);
  });

  it('round_robin stops at max_iterations without a final answer', async () => {
    const teamId = await team('round_robin', ['a', 'b'], 2);
    llm.script({ text: 'one' }, { text: 'two' }, { text: 'never asked' });
    const run = await waitForRun(sut, user, await startRun(sut, user, { session_id: await createSession(sut, user), task: 'Loop', team_id: teamId }));
    expect(run.status).toBe('completed');
    expect(calls()).toHaveLength(2);
    expect(run.team_result.summary).toBe('two');
  });

  it('supervisor: the lead calls members as tools, then writes the report', async () => {
    const teamId = await team('supervisor', ['researcher', 'writer']);
    llm.script(
      { toolCall: { name: 'ask_researcher', args: { request: 'find facts' } } },
      { text: 'Fact: - x is 1' },
      { toolCall: { name: 'ask_writer', args: { request: 'draft it' } } },
      { text: 'Draft about x' },
      { text: 'Final report: x is 1.\n- x equals 1' },
    );
    const id = await startRun(sut, user, { session_id: await createSession(sut, user), task: 'Tell me about x', team_id: teamId });
    const run = await waitForRun(sut, user, id);
    expect(run.status).toBe('completed');
    const spoken = run.messages.filter((m: { type: string }) => m.type === 'message').map((m: { agent: string }) => m.agent);
    expect(spoken).toEqual(['researcher', 'writer', 'supervisor']);
    expect(run.messages.filter((m: { type: string }) => m.type === 'tool_call').map((m: { content: string }) => m.content)).toEqual([
      'ask_researcher({"request":"find facts"})',
      'ask_writer({"request":"draft it"})',
    ]);
    expect(run.team_result).toMatchObject({ summary: 'Final report: x is 1.', key_findings: ['x equals 1'] });
    expect(run.progress.completion_percentage).toBe(100);
    expect(calls()[0].tools.map((t) => t.function.name)).toEqual(['ask_researcher', 'ask_writer']);
    expect(JSON.stringify(calls()[1].messages)).toContain('Request from the supervisor: find facts');
    expect(run.usage.total_tokens).toBe(5 * 18);
  });

  it('a provider failure is retried, then fails the run with its error', async () => {
    const teamId = await team('sequential', ['solo']);
    llm.script({ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
    const run = await waitForRun(sut, user, await startRun(sut, user, { session_id: await createSession(sut, user), task: 'Fail', team_id: teamId }), undefined, 30_000);
    expect(run).toMatchObject({ status: 'failed', error: { code: 'PROVIDER_ERROR', message: 'The model provider failed: HTTP 500' }, attempts: 3 });
  });

  it('cancel from another instance stops a running run within 2 s and ends its stream', async () => {
    const teamId = await team('sequential', ['slow', 'never']);
    llm.script({ text: 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen', delayMs: 300 }, { text: 'never' });
    const id = await startRun(sut, user, { session_id: await createSession(sut, user), task: 'Slow', team_id: teamId });
    const streamed = sseRequest(apiOnly.url, { path: `/api/v1/runs/${id}/stream`, token: user.accessToken }).then((res) => ({ res, endedAt: Date.now() }));
    await waitForRun(sut, user, id, (run) => run.status === 'running' && run.messages.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const started = Date.now();
    const cancelled = await apiOnly.http().post(`/api/v1/runs/${id}/cancel`).set(bearer(user.accessToken)).expect(200);
    expect(cancelled.body.data.status).toBe('cancelled');
    const { res, endedAt } = await streamed;
    expect(endedAt - started).toBeLessThan(2000);
    const events = eventsOf(res.frames);
    expect(events.at(-1)).toMatchObject({ event: 'run_completed', data: { status: 'cancelled' } });
    // The worker on the other instance stops generating: no further model call, no new messages.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await getRun(sut, user, id);
    const count = after.messages.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await getRun(sut, user, id)).messages.length).toBe(count);
    expect(calls()).toHaveLength(1);
    expect(after.status).toBe('cancelled');
    await sut.http().post(`/api/v1/runs/${id}/cancel`).set(bearer(user.accessToken)).expect(409);
  });

  it('a session runs one run at a time: the second waits queued until the first ends', async () => {
    const teamId = await team('sequential', ['only']);
    llm.script({ text: 'first run takes a while to answer here', delayMs: 150 }, { text: 'second run' });
    const sessionId = await createSession(sut, user);
    const first = await startRun(sut, user, { session_id: sessionId, task: 'First', team_id: teamId });
    const second = await startRun(sut, user, { session_id: sessionId, task: 'Second', team_id: teamId });
    await waitForRun(sut, user, first, (run) => run.status === 'running');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await getRun(sut, user, second)).status).toBe('queued');
    const firstDone = await waitForRun(sut, user, first);
    const secondDone = await waitForRun(sut, user, second);
    expect(Date.parse(secondDone.started_at)).toBeGreaterThanOrEqual(Date.parse(firstDone.completed_at));
    expect(secondDone.status).toBe('completed');
  });

  it('deleting a session cancels its running run and removes its runs, messages, events and checkpoints', async () => {
    const teamId = await team('sequential', ['one', 'two']);
    llm.script({ text: 'first one' }, { text: 'first two' }, { text: 'second one' }, { text: 'a b c d e f g h i j k l m n o p q r s t', delayMs: 200 });
    const sessionId = await createSession(sut, user);
    const finished = await startRun(sut, user, { session_id: sessionId, task: 'First', team_id: teamId });
    const running = await startRun(sut, user, { session_id: sessionId, task: 'Second', team_id: teamId });
    await waitForRun(sut, user, running, (run) => run.messages.some((m: { agent: string }) => m.agent === 'two'));
    expect((await getRun(sut, user, finished)).status).toBe('completed');
    const dataSource = sut.app.get(DataSource);
    const threads = async () => Number((await dataSource.query(`SELECT count(*) AS n FROM langgraph.checkpoints WHERE thread_id LIKE $1 OR thread_id LIKE $2`, [`${finished}%`, `${running}%`]))[0].n);
    expect(await threads()).toBeGreaterThan(0);
    await sut.http().delete(`/api/v1/sessions/${sessionId}`).set(bearer(user.accessToken)).expect(200);
    await sut.http().get(`/api/v1/runs/${running}`).set(bearer(user.accessToken)).expect(404);
    await sut.http().get(`/api/v1/runs/${finished}`).set(bearer(user.accessToken)).expect(404);
    expect(await threads()).toBe(0);
    const left = await dataSource.query(`SELECT (SELECT count(*) FROM run_messages WHERE run_id = ANY($1))::int AS messages, (SELECT count(*) FROM run_events WHERE run_id = ANY($1))::int AS events`, [[finished, running]]);
    expect(left).toEqual([{ messages: 0, events: 0 }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The cancelled run made no model call after its second member's.
    expect(calls()).toHaveLength(4);
  });

  it('BOLA: another user gets 404 on the session, run, team and stream', async () => {
    const teamId = await team('sequential', ['mine']);
    const sessionId = await createSession(sut, user);
    const id = await startRun(sut, user, { session_id: sessionId, task: 'Private', team_id: teamId });
    await waitForRun(sut, user, id);
    const as = (path: string) => sut.http().get(`/api/v1${path}`).set(bearer(stranger.accessToken));
    await as(`/runs/${id}`).expect(404);
    await as(`/runs/${id}/stream`).expect(404);
    await as(`/sessions/${sessionId}/runs`).expect(404);
    await as(`/teams/${teamId}`).expect(404);
    await sut.http().post(`/api/v1/runs/${id}/cancel`).set(bearer(stranger.accessToken)).expect(404);
    await sut.http().post('/api/v1/runs').set(bearer(stranger.accessToken)).send({ session_id: sessionId, task: 'hijack' }).expect(404);
    await sut.http().post('/api/v1/runs').set(bearer(stranger.accessToken)).send({ session_id: await createSession(sut, stranger), task: 'x', team_id: teamId }).expect(422);
    expect((await as('/runs')).body.data).toEqual([]);
  });
});
