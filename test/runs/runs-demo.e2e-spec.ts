import { createTestApp, TestApp } from '../helpers/app';
import { eventsOf, sseRequest } from '../helpers/sse';
import { bearer, createUser, TestUser } from '../helpers/users';
import { createSession, FAST_RUNS, startRun, waitForRun } from './run-helpers';

describe('Runs with the offline demo model', () => {
  jest.setTimeout(60_000);
  let sut: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    sut = await createTestApp({ ...FAST_RUNS, DEFAULT_MAX_RUNS_PER_HOUR: '6' });
    user = await createUser(sut);
  });
  afterAll(() => sut.close());

  it('runs the research team sequentially to a result, with messages, progress and usage', async () => {
    const sessionId = await createSession(sut, user);
    const res = await sut
      .http()
      .post('/api/v1/runs')
      .set(bearer(user.accessToken))
      .send({ session_id: sessionId, task: 'Analyze the AI startup landscape', team_config: { team_type: 'research', agents: ['researcher', 'analyst', 'summarizer'], max_iterations: 5 } })
      .expect(202);
    expect(res.body).toMatchObject({ status: true, message: 'Run started successfully', data: { session_id: sessionId, status: 'queued', task: 'Analyze the AI startup landscape', team: { slug: 'research-team' } } });
    expect(Date.parse(res.body.data.estimated_completion)).toBeGreaterThan(Date.parse(res.body.data.created_at));

    const run = await waitForRun(sut, user, res.body.data.id);
    expect(run.status).toBe('completed');
    expect(run.progress).toMatchObject({ completion_percentage: 100, steps_completed: 3, total_steps: 3 });
    const spoken = run.messages.filter((m: { type: string }) => m.type === 'message').map((m: { agent: string }) => m.agent);
    expect(spoken).toEqual(['researcher', 'analyst', 'summarizer']);
    expect(run.messages[0]).toMatchObject({ agent: 'researcher', type: 'status' });
    expect(run.team_result.summary).toMatch(/Summary/);
    expect(run.team_result.key_findings.length).toBeGreaterThan(2);
    expect(run.team_result.deliverables).toEqual([]);
    expect(run.usage.total_tokens).toBeGreaterThan(0);
    expect(run.metadata).toMatchObject({ model_used: 'demo:assistant', tokens_consumed: run.usage.total_tokens });

    const session = await sut.http().get(`/api/v1/sessions/${sessionId}`).set(bearer(user.accessToken)).expect(200);
    expect(session.body.data.runs).toEqual([{ id: run.id, status: 'completed', created_at: run.created_at, completed_at: run.completed_at }]);
    const ofSession = await sut.http().get(`/api/v1/sessions/${sessionId}/runs`).set(bearer(user.accessToken)).expect(200);
    expect(ofSession.body.data.map((r: { id: string }) => r.id)).toEqual([run.id]);
    const completed = await sut.http().get('/api/v1/runs?status=completed').set(bearer(user.accessToken)).expect(200);
    expect(completed.body.data.map((r: { id: string }) => r.id)).toContain(run.id);
  });

  it('streams the run over SSE in order, and a re-attach with Last-Event-ID replays exactly the rest', async () => {
    const sessionId = await createSession(sut, user);
    const id = await startRun(sut, user, { session_id: sessionId, task: 'Explain vector databases' });
    const full = await sseRequest(sut.url, { path: `/api/v1/runs/${id}/stream`, token: user.accessToken });
    expect(full.status).toBe(200);
    const events = eventsOf(full.frames);
    expect(events.map((e) => e.id)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]).toMatchObject({ event: 'run_status', data: { run_id: id, status: 'running' } });
    expect(events.filter((e) => e.event === 'chunk').length).toBeGreaterThan(3);
    expect(events.at(-1)).toMatchObject({ event: 'run_completed', data: { run_id: id, status: 'completed', team_result: { summary: expect.any(String) } } });
    expect(full.frames.at(-1)?.data).toBe('[DONE]');

    const cut = events[4].id!;
    const rest = await sseRequest(sut.url, { path: `/api/v1/runs/${id}/stream`, token: user.accessToken, headers: { 'Last-Event-ID': String(cut) } });
    expect(eventsOf(rest.frames)).toEqual(events.slice(5));
  });

  it('answers 422 for bad bodies and unknown teams, 404 for an unknown session', async () => {
    const sessionId = await createSession(sut, user);
    const bad = await sut.http().post('/api/v1/runs').set(bearer(user.accessToken)).send({ session_id: 'x', task: '' }).expect(422);
    expect(Object.keys(bad.body.error.details)).toEqual(expect.arrayContaining(['session_id', 'task']));
    const unknown = await sut.http().post('/api/v1/runs').set(bearer(user.accessToken)).send({ session_id: sessionId, task: 't', team_config: { team_type: 'marketing' } }).expect(422);
    expect(unknown.body.error.details).toHaveProperty(['team_config.team_type']);
    await sut.http().post('/api/v1/runs').set(bearer(user.accessToken)).send({ session_id: sessionId, task: 't', team_id: 'nope' }).expect(422);
    const agents = await sut.http().post('/api/v1/runs').set(bearer(user.accessToken)).send({ session_id: sessionId, task: 't', team_config: { team_type: 'research-team', agents: ['poet'] } }).expect(422);
    expect(agents.body.error.details).toHaveProperty(['team_config.agents']);
    await sut.http().post('/api/v1/runs').set(bearer(user.accessToken)).send({ session_id: sessionId, task: 't', team_config: { team_type: 'general', max_iterations: 21 } }).expect(422);
    await sut.http().post('/api/v1/runs').set(bearer(user.accessToken)).send({ session_id: '00000000-0000-4000-8000-00000000ffff', task: 't' }).expect(404);
  });

  it('enforces max_runs_per_hour with 429 QUOTA_EXCEEDED', async () => {
    const other = await createUser(sut);
    const sessionId = await createSession(sut, other);
    for (let i = 0; i < 6; i++) await startRun(sut, other, { session_id: sessionId, task: `task ${i}` });
    const res = await sut.http().post('/api/v1/runs').set(bearer(other.accessToken)).send({ session_id: sessionId, task: 'one more' }).expect(429);
    expect(res.body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { limit: 6, used: 6 } });
  });
});
