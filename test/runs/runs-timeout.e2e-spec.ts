import { createTestApp, TestApp } from '../helpers/app';
import { FakeOpenAI } from '../helpers/fake-openai';
import { eventsOf, sseRequest } from '../helpers/sse';
import { bearer, createUser, TestUser } from '../helpers/users';
import { createSession, FAST_RUNS, startRun, waitForRun } from './run-helpers';

/** timeout_minutes is at least 1, so this suite takes a minute: a model that never answers. */
describe('Run timeout', () => {
  jest.setTimeout(120_000);
  let llm: FakeOpenAI;
  let sut: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    llm = await new FakeOpenAI().start();
    sut = await createTestApp({ ...FAST_RUNS, OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'k', DEFAULT_MODEL: 'openai:gpt-test', LLM_TIMEOUT_MS: '300000' });
    user = await createUser(sut);
  });
  afterAll(async () => {
    await sut.close();
    await llm.stop();
  });

  it('ends a run that exceeds timeout_minutes as timed_out, with its error, and closes its stream', async () => {
    const team = await sut
      .http()
      .post('/api/v1/teams')
      .set(bearer(user.accessToken))
      .send({ name: 'Hasty', agents: [{ name: 'sleeper', role: 'sleeper', system_prompt: 'Sleep.' }], orchestration: { type: 'sequential', max_iterations: 1, timeout_minutes: 1 } })
      .expect(201);
    llm.script({ hang: true }, { hang: true });
    const id = await startRun(sut, user, { session_id: await createSession(sut, user), task: 'Never finishes', team_id: team.body.data.id });
    const stream = sseRequest(sut.url, { path: `/api/v1/runs/${id}/stream`, token: user.accessToken });
    const run = await waitForRun(sut, user, id, undefined, 90_000);
    expect(run).toMatchObject({ status: 'timed_out', error: { code: 'TIMED_OUT', message: 'The run exceeded its 1 minute limit' }, attempts: 1 });
    const seconds = (Date.parse(run.completed_at) - Date.parse(run.started_at)) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(59);
    expect(seconds).toBeLessThan(75);
    expect(eventsOf((await stream).frames).at(-1)).toMatchObject({ event: 'run_completed', data: { status: 'timed_out', error: { code: 'TIMED_OUT' } } });
  });
});
