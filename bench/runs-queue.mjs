// Runs bench: N runs of the built-in research team (three demo-model members, offline) queued at
// once on one instance; throughput, queue wait (run created -> a worker claimed it) p50/p99,
// run duration, and the server's RSS before and after.
//
//   npx nest build && node bench/runs-queue.mjs
//
// Tunables (env): BENCH_RUNS (200), BENCH_SESSIONS (200: runs are spread over this many
// sessions; a session executes one run at a time), BENCH_WORKERS (the server's RUN_WORKERS, 4),
// BENCH_LOG_LEVEL (warn), BENCH_PG_HOST / BENCH_PG_PORT / BENCH_PG_USER.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createBenchDatabase, freePort, logProblems, markdownTable, run, serverEnv, startProcess, stopProcess, tempDir, waitFor200 } from './lib.mjs';

const num = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const RUNS = num('BENCH_RUNS', 200);
const SESSIONS = Math.min(num('BENCH_SESSIONS', 200), RUNS);
const WORKERS = num('BENCH_WORKERS', 4);
const TIMEOUT_MS = 15 * 60_000;

const rssMb = (pid) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
};

async function api(url, method, pathName, token, body) {
  const res = await fetch(`${url}${pathName}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${pathName}: ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool(items, limit, fn) {
  const results = [];
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  }));
  return results;
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

run(async () => {
  const db = createBenchDatabase();
  const { dir } = tempDir('bench-runs-');
  const logFile = path.join(dir, 'server.log');
  const port = await freePort();
  const env = serverEnv(port, {
    DATABASE_URL: db.url,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    RUN_WORKERS: String(WORKERS),
    RUN_QUEUE_POLL_MS: '500',
    DEFAULT_MAX_SESSIONS: '100000',
    DEFAULT_MAX_RUNS_PER_HOUR: '100000',
    DEFAULT_MAX_TOKENS_PER_DAY: '0',
  });
  const server = startProcess({ env, logFile });
  await waitFor200(server, `${server.url}/api/ready`);
  const rssBefore = rssMb(server.child.pid);

  const auth = await api(server.url, 'POST', '/api/v1/auth/register', null, { email: `bench${Date.now()}@example.com`, username: `bench${Date.now()}`, password: 'correct horse battery' });
  const token = auth.access_token;
  const sessions = await pool(Array.from({ length: SESSIONS }), 20, async (_, i) => (await api(server.url, 'POST', '/api/v1/sessions', token, { name: `bench ${i}` })).id);

  const enqueueStart = performance.now();
  const runIds = await pool(Array.from({ length: RUNS }), 20, async (_, i) =>
    (await api(server.url, 'POST', '/api/v1/runs', token, { session_id: sessions[i % SESSIONS], task: `Bench task ${i}`, team_config: { team_type: 'research' } })).id,
  );
  const enqueueMs = performance.now() - enqueueStart;

  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  let rssPeak = rssBefore;
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    rssPeak = Math.max(rssPeak, rssMb(server.child.pid));
    const { rows } = await client.query(`SELECT count(*) FILTER (WHERE status IN ('completed', 'failed', 'cancelled', 'timed_out'))::int AS done FROM runs WHERE id = ANY($1)`, [runIds]);
    if (rows[0].done === RUNS) break;
    if (Date.now() > deadline) throw new Error(`only ${rows[0].done}/${RUNS} runs ended in time`);
    await sleep(250);
  }
  const rssAfter = rssMb(server.child.pid);
  const { rows } = await client.query(
    `SELECT status, extract(epoch FROM started_at - created_at) * 1000 AS wait_ms, extract(epoch FROM completed_at - started_at) * 1000 AS run_ms,
            extract(epoch FROM created_at) * 1000 AS created, extract(epoch FROM completed_at) * 1000 AS completed
     FROM runs WHERE id = ANY($1)`,
    [runIds],
  );
  await client.end();
  await stopProcess(server);

  const completed = rows.filter((r) => r.status === 'completed');
  const waits = rows.map((r) => Number(r.wait_ms));
  const durations = rows.map((r) => Number(r.run_ms));
  const wallS = (Math.max(...rows.map((r) => Number(r.completed))) - Math.min(...rows.map((r) => Number(r.created)))) / 1000;
  const summary = {
    runs: RUNS,
    sessions: SESSIONS,
    workers: WORKERS,
    completed: completed.length,
    enqueue_ms: Math.round(enqueueMs),
    wall_s: Math.round(wallS * 10) / 10,
    runs_per_s: Math.round((RUNS / wallS) * 100) / 100,
    queue_wait_p50_ms: Math.round(percentile(waits, 50)),
    queue_wait_p99_ms: Math.round(percentile(waits, 99)),
    run_p50_ms: Math.round(percentile(durations, 50)),
    run_p99_ms: Math.round(percentile(durations, 99)),
    rss_before_mb: rssBefore,
    rss_peak_mb: rssPeak,
    rss_after_mb: rssAfter,
  };
  console.log(JSON.stringify(summary, null, 2));
  console.log(markdownTable([summary]));
  const problems = logProblems(logFile);
  if (problems.length) console.log(`server log problems:\n${problems.join('\n')}`);
  db.drop();
});
