import { randomBytes } from 'node:crypto';
import type { TestApp } from '../helpers/app';
import { bearer, type TestUser } from '../helpers/users';

/**
 * Fast queue settings so runs start, beat and are swept in seconds, and a queue schema of this
 * suite's own: suites share the run's database, and one suite's workers must never take
 * another's jobs (they talk to another fake model).
 */
export const FAST_RUNS = {
  RUN_WORKERS: '2',
  RUN_QUEUE_POLL_MS: '500',
  RUN_POLL_INTERVAL_MS: '50',
  RUN_HEARTBEAT_SECONDS: '10',
  RUN_SUPERVISE_SECONDS: '2',
  RUN_QUEUE_SCHEMA: `pgboss_${randomBytes(4).toString('hex')}`,
};

/** GET /runs/:id's data, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RunBody = Record<string, any>;

export const TERMINAL = ['completed', 'failed', 'cancelled', 'timed_out'];

export async function createSession(app: TestApp, user: TestUser, name = 'Session'): Promise<string> {
  const res = await app.http().post('/api/v1/sessions').set(bearer(user.accessToken)).send({ name });
  if (res.status !== 201) throw new Error(`session: ${res.status} ${res.text}`);
  return res.body.data.id;
}

export async function startRun(app: TestApp, user: TestUser, body: Record<string, unknown>): Promise<string> {
  const res = await app.http().post('/api/v1/runs').set(bearer(user.accessToken)).send(body);
  if (res.status !== 202) throw new Error(`run: ${res.status} ${res.text}`);
  return res.body.data.id;
}

export async function getRun(app: TestApp, user: TestUser, id: string): Promise<RunBody> {
  const res = await app.http().get(`/api/v1/runs/${id}`).set(bearer(user.accessToken));
  if (res.status !== 200) throw new Error(`get run: ${res.status} ${res.text}`);
  return res.body.data;
}

/** Polls GET /runs/:id until `done` says so (default: a terminal status). */
export async function waitForRun(app: TestApp, user: TestUser, id: string, done: (run: RunBody) => boolean = (run) => TERMINAL.includes(run.status), timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await getRun(app, user, id);
    if (done(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status} (${JSON.stringify(run.progress)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
