import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createTestApp, testDatabaseUrl, TestApp } from '../helpers/app';
import { FakeOpenAI } from '../helpers/fake-openai';
import { bearer, createUser, TestUser } from '../helpers/users';
import { createSession, FAST_RUNS, getRun, startRun, waitForRun } from './run-helpers';

const HEARTBEAT_SECONDS = 10;

/**
 * A worker process killed mid-run (SIGKILL: no shutdown hook runs) must not leave its run
 * `running`: after the job's heartbeat expires, pg-boss hands it to another worker, which
 * continues from the run's saved state.
 */
describe('Run durability across worker processes', () => {
  jest.setTimeout(180_000);
  let llm: FakeOpenAI;
  let api: TestApp;
  let takeover: TestApp | undefined;
  let child: ChildProcess | undefined;
  const closing: TestApp[] = [];
  let user: TestUser;
  let settings: Record<string, string>;

  beforeAll(async () => {
    // The killed worker is a real `node dist/src/main.js` process: build it if sources changed.
    execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], { stdio: 'ignore' });
    llm = await new FakeOpenAI().start();
    settings = { ...FAST_RUNS, RUN_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS), OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'k', DEFAULT_MODEL: 'openai:gpt-test', LLM_TIMEOUT_MS: '20000' };
    api = await createTestApp({ ...settings, RUN_WORKERS: '0' });
    user = await createUser(api);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    for (const app of closing) await app.close();
    await takeover?.close();
    await api.close();
    await llm.stop();
  });

  const spawnWorker = (extra: Record<string, string> = {}) =>
    spawn(process.execPath, ['dist/src/main.js'], {
      env: { ...process.env, ...settings, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: testDatabaseUrl(), API_PORT: '0', API_HOST: '127.0.0.1', RUN_WORKERS: '1', ...extra },
      stdio: 'ignore',
    });

  it('a worker killed mid-run: another worker resumes from the saved turns and completes it', async () => {
    const team = await api
      .http()
      .post('/api/v1/teams')
      .set(bearer(user.accessToken))
      .send({
        name: 'Durable',
        agents: [
          { name: 'first', role: 'first', system_prompt: 'First.' },
          { name: 'second', role: 'second', system_prompt: 'Second.' },
        ],
        orchestration: { type: 'sequential', max_iterations: 2, timeout_minutes: 10 },
      })
      .expect(201);
    llm.script({ text: 'first output' }, { text: Array.from({ length: 60 }, (_, i) => `word${i}`).join(' '), delayMs: 200 }, { text: 'second output' });
    const id = await startRun(api, user, { session_id: await createSession(api, user), task: 'Survive a crash', team_id: team.body.data.id });

    child = spawnWorker();
    // Killed while the second member is streaming its answer.
    await waitForRun(api, user, id, (run) => run.messages.some((m: { agent: string; type: string }) => m.agent === 'second' && m.type === 'status'), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill('SIGKILL');
    const killedAt = Date.now();
    expect((await getRun(api, user, id)).status).toBe('running');

    takeover = await createTestApp(settings);
    const run = await waitForRun(api, user, id, undefined, (HEARTBEAT_SECONDS + 30) * 1000);
    expect(Date.now() - killedAt).toBeLessThan((HEARTBEAT_SECONDS + 30) * 1000);
    expect(run).toMatchObject({ status: 'completed', attempts: 2, team_result: { summary: 'second output' } });
    const spoken = run.messages.filter((m: { type: string }) => m.type === 'message').map((m: { agent: string; content: string }) => `${m.agent}: ${m.content}`);
    // The first member's turn was saved before the crash and is not repeated.
    expect(spoken).toEqual(['first: first output', 'second: second output']);
    expect(run.messages.some((m: { content: string }) => m.content === 'Resumed by another worker (attempt 2)')).toBe(true);
    expect(llm.requests).toHaveLength(3);
  });

  it('a worker killed on its last attempt: the run fails with its error, never stuck running', async () => {
    // Only the process about to be killed may work on this run.
    await takeover?.close();
    takeover = undefined;
    const noRetry = { ...settings, RUN_RETRY_LIMIT: '0' };
    const strictApi = await createTestApp({ ...noRetry, RUN_WORKERS: '0' });
    closing.push(strictApi);
    llm.reset();
    llm.script({ text: Array.from({ length: 80 }, (_, i) => `slow${i}`).join(' '), delayMs: 200 });
    const id = await startRun(strictApi, user, { session_id: await createSession(strictApi, user), task: 'Die once' });
    child = spawnWorker({ RUN_RETRY_LIMIT: '0' });
    await waitForRun(strictApi, user, id, (run) => run.status === 'running' && run.messages.length > 0, 60_000);
    child.kill('SIGKILL');
    const killedAt = Date.now();
    closing.push(await createTestApp(noRetry));
    const run = await waitForRun(strictApi, user, id, undefined, (HEARTBEAT_SECONDS + 30) * 1000);
    expect(Date.now() - killedAt).toBeLessThan((HEARTBEAT_SECONDS + 30) * 1000);
    expect(run).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'WORKER_LOST' } });
  });
});
