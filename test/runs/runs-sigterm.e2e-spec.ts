import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createTestApp, testDatabaseUrl, TestApp } from '../helpers/app';
import { FakeOpenAI } from '../helpers/fake-openai';
import { eventsOf, sseRequest } from '../helpers/sse';
import { bearer, createUser, TestUser } from '../helpers/users';
import { createSession, FAST_RUNS, getRun, startRun, waitForRun } from './run-helpers';

const HEARTBEAT_SECONDS = 30;

/**
 * SIGTERM to a worker mid-run hands the run back to the queue during the drain: another worker
 * resumes it from the saved turns at once. No retry is spent (RUN_RETRY_LIMIT=0: the old
 * fail-and-retry path would end it `failed`) and nothing waits for the heartbeat to go stale.
 */
describe('Run handed back to the queue on SIGTERM', () => {
  jest.setTimeout(180_000);
  let llm: FakeOpenAI;
  let api: TestApp;
  let takeover: TestApp | undefined;
  let child: ChildProcess | undefined;
  let user: TestUser;
  let settings: Record<string, string>;

  beforeAll(async () => {
    // The signalled worker is a real `node dist/src/main.js` process: build it if sources changed.
    execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], { stdio: 'ignore' });
    llm = await new FakeOpenAI().start();
    settings = {
      ...FAST_RUNS,
      RUN_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS),
      RUN_RETRY_LIMIT: '0',
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: 'k',
      DEFAULT_MODEL: 'openai:gpt-test',
      LLM_TIMEOUT_MS: '30000',
    };
    api = await createTestApp({ ...settings, RUN_WORKERS: '0' });
    user = await createUser(api);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await takeover?.close();
    await api.close();
    await llm.stop();
  });

  it('the signalled worker requeues its run and exits; a second worker resumes and completes it', async () => {
    const team = await api
      .http()
      .post('/api/v1/teams')
      .set(bearer(user.accessToken))
      .send({
        name: 'Handover',
        agents: [
          { name: 'first', role: 'first', system_prompt: 'First.' },
          { name: 'second', role: 'second', system_prompt: 'Second.' },
        ],
        orchestration: { type: 'sequential', max_iterations: 2, timeout_minutes: 10 },
      })
      .expect(201);
    // The second member's answer takes 20 s: it is mid-stream when the signal comes.
    llm.script({ text: 'first output' }, { text: Array.from({ length: 100 }, (_, i) => `word${i}`).join(' '), delayMs: 200 }, { text: 'second output' });
    const id = await startRun(api, user, { session_id: await createSession(api, user), task: 'Survive a deploy', team_id: team.body.data.id });

    let stderr = '';
    child = spawn(process.execPath, ['dist/src/main.js'], {
      env: {
        ...process.env,
        ...settings,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: testDatabaseUrl(),
        API_PORT: '0',
        API_HOST: '127.0.0.1',
        RUN_WORKERS: '1',
        SHUTDOWN_TIMEOUT_MS: '10000',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitForRun(api, user, id, (run) => run.messages.some((m: { agent: string; type: string }) => m.agent === 'second' && m.type === 'status'), 60_000);
    // The second worker is up (and idle: the session's group holds its job) before the signal.
    takeover = await createTestApp(settings);
    for (const started = Date.now(); llm.requests.length < 2; ) {
      if (Date.now() - started > 30_000) throw new Error('the second member never called the model');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await getRun(api, user, id)).status).toBe('running');

    const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
      const started = Date.now();
      child!.once('exit', (code) => resolve({ code, ms: Date.now() - started }));
    });
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const { code, ms } = await exited;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(stderr).not.toMatch(/unhandled|Graceful shutdown timed out/i);

    const run = await waitForRun(api, user, id, undefined, 60_000);
    // Well inside the heartbeat (30 s): the run was handed over, not found stale.
    expect(Date.now() - signalledAt).toBeLessThan(HEARTBEAT_SECONDS * 1000);
    expect(run).toMatchObject({ status: 'completed', attempts: 2, team_result: { summary: 'second output' } });
    const spoken = run.messages.filter((m: { type: string }) => m.type === 'message').map((m: { agent: string; content: string }) => `${m.agent}: ${m.content}`);
    // The first member's turn was saved before the signal and is not repeated.
    expect(spoken).toEqual(['first: first output', 'second: second output']);
    const system = run.messages.filter((m: { agent: string }) => m.agent === 'system').map((m: { content: string }) => m.content);
    expect(system).toEqual(['The worker shut down; the run went back to the queue for another worker', 'Resumed by another worker (attempt 2)']);
    expect(llm.requests).toHaveLength(3);

    // The run's events tell the story in order: running, handed back (queued), running again, completed.
    const events = eventsOf((await sseRequest(api.url, { path: `/api/v1/runs/${id}/stream`, token: user.accessToken })).frames);
    const statuses = events.filter((e) => e.event === 'run_status' || e.event === 'run_completed').map((e) => `${e.event}:${e.data.status}${e.data.reason ? `:${e.data.reason}` : ''}`);
    expect(statuses).toEqual(['run_status:running', 'run_status:queued:worker_shutdown', 'run_status:running', 'run_completed:completed']);
  });
});
