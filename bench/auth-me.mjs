// Authenticated request latency and login cost, on a fresh external bench database:
//  1. registers 1,000 users (POST /api/v1/auth/register, parallel batches of 20);
//  2. GET /api/v1/auth/me rotating over their 1,000 Bearer tokens, 10 and 50 connections,
//     10 s each after a 3 s warm-up (target, issue #15: p99 < 15 ms at 10 connections);
//  3. POST /api/v1/auth/login (argon2id verify) rotating over the users, 10 connections, 10 s.
// Server CPU per request = the server process's user+system CPU time (/proc/<pid>/stat, which
// includes the libuv threads argon2 runs on) over the run / requests served. PostgreSQL's own
// CPU is not included. Also printed: the whole-machine bound 2 cores * 1000 / req/s.
// Env: BENCH_USERS (1000), BENCH_DURATION (10), BENCH_LOG_LEVEL (info), BENCH_NODE_ARGS (e.g.
// "--cpu-prof --cpu-prof-dir=/tmp/prof").
// Usage (repo root, after `npm run build`): node bench/auth-me.mjs
import os from 'node:os';
import path from 'node:path';
import {
  cannon,
  cpuTimeMs,
  createBenchDatabase,
  freePort,
  logProblems,
  markdownTable,
  run,
  serverEnv,
  startProcess,
  stopProcess,
  tempDir,
  waitFor200,
} from './lib.mjs';

const USERS = Number(process.env.BENCH_USERS ?? 1000);
const BATCH = 20;
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = 3;
const CORES = os.availableParallelism();
const TARGET_P99_MS = 15;

async function register(base, i, runId) {
  const res = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `bench${i}.${runId}@example.com`, username: `bench_${runId}_${i}`, password: `bench-password-${i}` }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.json();
  if (res.status !== 201 || !body.data?.access_token) throw new Error(`register ${i}: ${res.status} ${JSON.stringify(body)}`);
  return { username: `bench_${runId}_${i}`, password: `bench-password-${i}`, token: body.data.access_token };
}

/** Runs autocannon and adds the server's CPU ms per request over that run. */
async function measure(proc, label, opts) {
  const cpuBefore = cpuTimeMs(proc.child.pid);
  const result = await cannon({ url: proc.url, duration: DURATION, ...opts });
  const cpuMs = cpuTimeMs(proc.child.pid) - cpuBefore;
  const row = {
    run: label,
    ...result,
    server_cpu_ms_per_req: Math.round((cpuMs / Math.max(result.requests, 1)) * 100) / 100,
    machine_ms_per_req: Math.round(((CORES * 1000 * result.duration_s) / Math.max(result.requests, 1)) * 100) / 100,
  };
  process.stderr.write(`${label}: ${row.req_per_s} req/s, p99 ${row.p99_ms} ms\n`);
  return row;
}

async function main() {
  const { dir } = tempDir('bench-auth-');
  const logFile = path.join(dir, 'server.log');
  const db = createBenchDatabase();
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = startProcess({ env: serverEnv(await freePort(), { DATABASE_URL: db.url, JWT_ACCESS_TTL: '1h' }), logFile, nodeArgs });
  try {
    await waitFor200(proc, `${proc.url}/api/ready`, { timeoutMs: 60_000 });

    const runId = Date.now().toString(36);
    const users = [];
    const registerStart = performance.now();
    for (let i = 0; i < USERS; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, USERS - i) }, (_, j) => register(proc.url, i + j, runId));
      users.push(...(await Promise.all(batch)));
    }
    const registerSeconds = (performance.now() - registerStart) / 1000;
    process.stderr.write(`registered ${users.length} users in ${registerSeconds.toFixed(1)} s\n`);

    const me = users.map((u) => ({ method: 'GET', path: '/api/v1/auth/me', headers: { authorization: `Bearer ${u.token}` } }));
    const check = await fetch(`${proc.url}/api/v1/auth/me`, { headers: me[0].headers, signal: AbortSignal.timeout(10_000) });
    if (check.status !== 200) throw new Error(`GET /me answered ${check.status}`);

    await cannon({ url: proc.url, requests: me, connections: 10, duration: WARMUP });
    const rows = [
      await measure(proc, 'GET /auth/me, 10 conn', { requests: me, connections: 10 }),
      await measure(proc, 'GET /auth/me, 50 conn', { requests: me, connections: 50 }),
    ];
    const login = users.map((u) => ({
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: u.username, password: u.password }),
    }));
    rows.push(await measure(proc, 'POST /auth/login, 10 conn', { requests: login, connections: 10 }));

    const summary = {
      bench: 'auth-me',
      date: new Date().toISOString(),
      log_level: process.env.BENCH_LOG_LEVEL ?? 'info',
      cores: CORES,
      users: users.length,
      register_seconds: Math.round(registerSeconds * 10) / 10,
      register_per_s: Math.round(users.length / registerSeconds),
      me_target: `p99 < ${TARGET_P99_MS} ms at 10 connections`,
      me_target_met: rows[0].p99_ms < TARGET_P99_MS && rows[0].non_2xx === 0,
      rows,
    };
    const stop = await stopProcess(proc);
    summary.stop = stop;
    summary.log_problems = logProblems(logFile);
    console.log(JSON.stringify(summary, null, 2));
    console.log(
      `\n${markdownTable(rows.map(({ run: name, req_per_s, p50_ms, p99_ms, p99_9_ms, non_2xx, errors, server_cpu_ms_per_req, machine_ms_per_req }) => ({ run: name, req_per_s, p50_ms, p99_ms, p99_9_ms, non_2xx, errors, server_cpu_ms_per_req, machine_ms_per_req })))}`,
    );
  } finally {
    await stopProcess(proc);
    db.drop();
  }
}

run(main);
