import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestApp, TestApp } from '../helpers/app';
import { createUser, TestUser } from '../helpers/users';
import { FAST_RUNS } from '../runs/run-helpers';

const run = promisify(execFile);
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

/**
 * Seed 003's own client code, unchanged apart from the base URL and the token (and the ids the
 * first call created). Its `/api/auth/login` curl line is not run: SSO starts at
 * /api/auth/azure/login here (README, Single sign-on).
 */
describe("Seed 003's curl lines and Python SDK", () => {
  let sut: TestApp;
  let alice: TestUser;
  const seedCode = (text: string) => text.replaceAll('https://your-domain.com', sut.url).replaceAll('your-jwt-token', alice.accessToken);

  beforeAll(async () => {
    sut = await createTestApp({ RUN_WORKERS: '0', RUN_QUEUE_SCHEMA: FAST_RUNS.RUN_QUEUE_SCHEMA });
    alice = await createUser(sut);
  });
  afterAll(() => sut.close());

  it('runs the session and run curl lines', async () => {
    const [createSession, startRun] = seedCode(fixture('seed-003-api-testing.sh')).split('# Test run creation');
    expect(createSession).toContain('curl -X POST');
    const session = JSON.parse((await run('bash', ['-c', createSession])).stdout);
    expect(session).toMatchObject({ status: true, message: 'Session created successfully', data: { name: 'Test Session', description: 'API testing', status: 'active' } });

    const withId = startRun.replace('"session_id": 1', `"session_id": "${session.data.id}"`);
    expect(withId).not.toBe(startRun);
    const started = JSON.parse((await run('bash', ['-c', withId])).stdout);
    expect(started).toMatchObject({ status: true, message: 'Run started successfully', data: { session_id: session.data.id, task: 'Test task', status: 'queued' } });
    expect(Date.parse(started.data.estimated_completion)).toBeGreaterThan(Date.parse(started.data.created_at));
  });

  it('runs the Python SDK example (python3 with requests)', async () => {
    const script = `${seedCode(fixture('magentic_ui_client.py'))}\nimport json\nprint(json.dumps({"session": session, "run": run}))\n`;
    const { stdout } = await run('python3', ['-c', script]);
    const { session, run: started } = JSON.parse(stdout);
    expect(session).toMatchObject({ status: true, message: 'Session created successfully', data: { name: 'Research Session', description: 'AI trends research' } });
    expect(started).toMatchObject({ status: true, message: 'Run started successfully', data: { session_id: session.data.id, task: 'Research transformer architectures', status: 'queued' } });
    expect(started.data.estimated_completion).toEqual(expect.any(String));
  });
});
