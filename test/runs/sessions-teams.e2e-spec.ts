import { UsageService } from '../../src/modules/agent/usage.service';
import { createTestApp, TestApp } from '../helpers/app';
import { bearer, createUser, TestUser } from '../helpers/users';
import { FAST_RUNS } from './run-helpers';

describe('Sessions and teams', () => {
  let sut: TestApp;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    sut = await createTestApp({ DEFAULT_MAX_SESSIONS: '10', RUN_WORKERS: '0', DEFAULT_MAX_TOKENS_PER_DAY: '500', RUN_QUEUE_SCHEMA: FAST_RUNS.RUN_QUEUE_SCHEMA });
    alice = await createUser(sut);
    bob = await createUser(sut);
  });
  afterAll(() => sut.close());

  const as = (user: TestUser) => ({
    get: (path: string) => sut.http().get(`/api/v1${path}`).set(bearer(user.accessToken)),
    post: (path: string, body: unknown) => sut.http().post(`/api/v1${path}`).set(bearer(user.accessToken)).send(body as object),
    put: (path: string, body: unknown) => sut.http().put(`/api/v1${path}`).set(bearer(user.accessToken)).send(body as object),
    del: (path: string) => sut.http().delete(`/api/v1${path}`).set(bearer(user.accessToken)),
  });

  it('creates, lists with a status filter, updates and deletes sessions in seed 003 shapes', async () => {
    const created = await as(alice).post('/sessions', { name: 'AI Research', description: 'trends', metadata: { tags: ['ai'], priority: 'high' } }).expect(201);
    expect(created.body).toMatchObject({ status: true, message: 'Session created successfully', data: { name: 'AI Research', status: 'active', user_id: alice.id, metadata: { tags: ['ai'] } } });
    const id = created.body.data.id;

    const updated = await as(alice).put(`/sessions/${id}`, { status: 'completed', name: 'Renamed' }).expect(200);
    expect(updated.body).toMatchObject({ message: 'Session updated successfully', data: { status: 'completed', name: 'Renamed', description: 'trends' } });

    await as(alice).post('/sessions', { name: 'Second' }).expect(201);
    const completed = await as(alice).get('/sessions?status=completed').expect(200);
    expect(completed.body.data.map((s: { id: string }) => s.id)).toEqual([id]);
    const all = await as(alice).get('/sessions?limit=1').expect(200);
    expect(all.body.pagination).toEqual({ total: 2, limit: 1, offset: 0, has_more: true });

    const detail = await as(alice).get(`/sessions/${id}`).expect(200);
    expect(detail.body.data.runs).toEqual([]);

    await as(alice).del(`/sessions/${id}`).expect(200, { status: true, data: null, message: 'Session deleted successfully' });
    await as(alice).get(`/sessions/${id}`).expect(404);
  });

  it('answers 422 with field details for bad bodies and filters', async () => {
    const res = await as(alice).post('/sessions', { description: 3 }).expect(422);
    expect(Object.keys(res.body.error.details)).toEqual(expect.arrayContaining(['name', 'description']));
    await as(alice).get('/sessions?status=sleeping').expect(422);
    await as(alice).put(`/sessions/${(await as(alice).post('/sessions', { name: 'x' })).body.data.id}`, { status: 'nope' }).expect(422);
  });

  it('enforces max_sessions with 429 QUOTA_EXCEEDED and details', async () => {
    const carol = await createUser(sut);
    for (let i = 0; i < 10; i++) await as(carol).post('/sessions', { name: `s${i}` }).expect(201);
    const res = await as(carol).post('/sessions', { name: 'one too many' }).expect(429);
    expect(res.body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { limit: 10, used: 10 } });
  });

  it('lists built-in teams, finds them by slug, and keeps them read-only', async () => {
    const list = await as(alice).get('/teams').expect(200);
    const slugs = list.body.data.map((t: { slug: string }) => t.slug);
    expect(slugs).toEqual(expect.arrayContaining(['research-team', 'general']));
    const research = await as(alice).get('/teams/research-team').expect(200);
    expect(research.body.data).toMatchObject({
      slug: 'research-team',
      built_in: true,
      orchestration: { type: 'sequential' },
      agents: [{ name: 'researcher' }, { name: 'analyst' }, { name: 'summarizer' }],
    });
    await as(alice).get(`/teams/${research.body.data.id}`).expect(200);
    await as(alice).put(`/teams/${research.body.data.id}`, { name: 'mine now' }).expect(403);
    await as(alice).del(`/teams/${research.body.data.id}`).expect(403);
  });

  it('creates own teams with checked models and tools; other users cannot see them', async () => {
    const body = {
      name: 'Duo',
      agents: [
        { name: 'writer', role: 'writer', model: 'demo:assistant', system_prompt: 'Write.', tools: ['calculator'] },
        { name: 'critic', role: 'critic', system_prompt: 'Critique.' },
      ],
      orchestration: { type: 'round_robin', max_iterations: 4, timeout_minutes: 10 },
    };
    const created = await as(alice).post('/teams', body).expect(201);
    expect(created.body.data).toMatchObject({ slug: 'duo', built_in: false, agents: [{ model: 'demo:assistant' }, { model: null, tools: [] }] });
    const id = created.body.data.id;
    await as(alice).get('/teams/duo').expect(200);
    await as(bob).get(`/teams/${id}`).expect(404);
    await as(bob).get('/teams/duo').expect(404);
    await as(bob).put(`/teams/${id}`, { name: 'x' }).expect(404);
    await as(bob).del(`/teams/${id}`).expect(404);
    await as(alice).post('/teams', body).expect(409);

    const bad = await as(alice)
      .post('/teams', { ...body, slug: 'bad', agents: [{ ...body.agents[0], model: 'openai:gpt-9', tools: ['rm_rf'] }] })
      .expect(422);
    expect(Object.keys(bad.body.error.details)).toEqual(['agents.0.model', 'agents.0.tools']);
    const range = await as(alice).post('/teams', { ...body, slug: 'range', orchestration: { type: 'mesh', max_iterations: 21, timeout_minutes: 0 } }).expect(422);
    expect(JSON.stringify(range.body.error.details)).toMatch(/type|max_iterations|timeout_minutes/);

    const updated = await as(alice).put(`/teams/${id}`, { orchestration: { type: 'supervisor', max_iterations: 3, timeout_minutes: 5 } }).expect(200);
    expect(updated.body.data.orchestration.type).toBe('supervisor');
    await as(alice).del(`/teams/${id}`).expect(200);
    await as(alice).get(`/teams/${id}`).expect(404);
  });

  it('reports the run queue in /api/health (with no workers a run waits queued), and cancels a queued run at once', async () => {
    const sessionId = (await as(alice).post('/sessions', { name: 'queue' }).expect(201)).body.data.id;
    const run = await as(alice).post('/runs', { session_id: sessionId, task: 'wait' }).expect(202);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const res = await sut.http().get('/api/health').expect(200);
    expect(res.body.details.queue).toMatchObject({ status: 'up', workers: 0, active: 0 });
    expect(res.body.details.queue.queued).toBeGreaterThanOrEqual(1);
    expect(res.body.details.queue.oldest_queued_seconds).toBeGreaterThanOrEqual(1);
    expect((await as(alice).get(`/runs/${run.body.data.id}`).expect(200)).body.data.status).toBe('queued');

    // A queued run cancels at once; its stream ends with run_completed {status: cancelled}.
    const cancelled = await as(alice).post(`/runs/${run.body.data.id}/cancel`, {}).expect(200);
    expect(cancelled.body).toMatchObject({ message: 'Run cancelled', data: { status: 'cancelled', error: { code: 'CANCELLED' } } });
    const stream = await sut.http().get(`/api/v1/runs/${run.body.data.id}/stream`).set(bearer(alice.accessToken)).expect(200);
    expect(stream.text).toMatch(/event: run_completed\ndata: \{[^\n]*"status":"cancelled"/);
    expect(stream.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('refuses a run once the daily token budget is spent (429 QUOTA_EXCEEDED, before anything is stored)', async () => {
    const dave = await createUser(sut);
    const sessionId = (await as(dave).post('/sessions', { name: 'budget' }).expect(201)).body.data.id;
    await sut.app.get(UsageService).record(dave.id, { input_tokens: 300, output_tokens: 300, total_tokens: 600 });
    const res = await as(dave).post('/runs', { session_id: sessionId, task: 'too expensive' }).expect(429);
    expect(res.body.error).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { limit: 500, used: 600 } });
    expect((await as(dave).get('/runs').expect(200)).body.pagination.total).toBe(0);
  });

  it('hides every session from other users (404)', async () => {
    const id = (await as(alice).post('/sessions', { name: 'private' }).expect(201)).body.data.id;
    await as(bob).get(`/sessions/${id}`).expect(404);
    await as(bob).put(`/sessions/${id}`, { name: 'stolen' }).expect(404);
    await as(bob).del(`/sessions/${id}`).expect(404);
    expect((await as(bob).get('/sessions').expect(200)).body.data).toEqual([]);
    await as(alice).get(`/sessions/${id}`).expect(200);
  });
});

describe('APP_ROLE=worker', () => {
  let worker: TestApp;
  beforeAll(async () => {
    worker = await createTestApp({ APP_ROLE: 'worker', RUN_WORKERS: '1', RUN_QUEUE_SCHEMA: FAST_RUNS.RUN_QUEUE_SCHEMA });
  });
  afterAll(() => worker.close());

  it('answers health checks and nothing else', async () => {
    await worker.http().get('/api/live').expect(200);
    const health = await worker.http().get('/api/health').expect(200);
    expect(health.body.details.queue).toMatchObject({ status: 'up', role: 'worker', workers: 1 });
    const res = await worker.http().post('/api/v1/auth/register').send({ email: 'w@example.com', username: 'worker1', password: 'correct horse battery' }).expect(404);
    expect(res.body.error.code).toBe('RESOURCE_NOT_FOUND');
    await worker.http().get('/api/v1/teams').expect(404);
  });
});
