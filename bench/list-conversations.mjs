// A DB-backed list: GET /api/v1/chat/conversations for one user who owns 1,000 conversations
// (each with a user and an assistant message), on a fresh external bench database. Other users'
// rows are seeded too (BENCH_OTHER_USERS x 1,000 conversations), so the owner filter matters.
// autocannon, BENCH_CONNECTIONS (50) closed-loop connections, 3 s warm-up then BENCH_DURATION
// (10) s per variant: the first page (default limit 20), a page of 100, and a deep page
// (offset 900). Target (issue #15): >= 1,500 req/s and p99 <= 40 ms at 50 connections, first page.
// Server CPU per request from /proc/<pid>/stat; PostgreSQL CPU per request from the same file of
// every backend connected to the bench database (the server's pool; needs a local PostgreSQL
// whose processes this user can read, else null).
// Env: BENCH_CONNECTIONS (50), BENCH_DURATION (10), BENCH_ROWS (1000), BENCH_OTHER_USERS (9),
// BENCH_LOG_LEVEL (info), BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
// BENCH_VARIANTS (first,100,deep: which of the three to run), BENCH_RATE (req/s over all
// connections: a fixed offered load instead of a closed loop, so CPU per request is measured
// below saturation).
// Usage (repo root, after `npm run build`): node bench/list-conversations.mjs
import { execFileSync } from 'node:child_process';
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

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROWS = Number(process.env.BENCH_ROWS ?? 1000);
const OTHER_USERS = Number(process.env.BENCH_OTHER_USERS ?? 9);
const VARIANTS = (process.env.BENCH_VARIANTS ?? 'first,100,deep').split(',');
const RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined;
const WARMUP = 3;
const TARGET = { req_per_s: 1500, p99_ms: 40 };

function psqlOn(db, sql) {
  const host = process.env.BENCH_PG_HOST ?? '127.0.0.1';
  const port = process.env.BENCH_PG_PORT ?? '5432';
  const user = process.env.BENCH_PG_USER ?? 'postgres';
  return execFileSync('psql', ['-h', host, '-p', port, '-U', user, '-d', db.name, '-v', 'ON_ERROR_STOP=1', '-qtAc', sql], {
    encoding: 'utf8',
    timeout: 120_000,
  });
}

async function register(base, name) {
  const res = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${name}@example.com`, username: name, password: `bench-password-${name}` }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.json();
  if (res.status !== 201 || !body.data?.access_token) throw new Error(`register ${name}: ${res.status} ${JSON.stringify(body)}`);
  return body.data;
}

/** ROWS conversations per user, each with a user message and a ~300-character assistant reply. */
function seed(db, userIds) {
  for (const userId of userIds) {
    psqlOn(
      db,
      `WITH c AS (
         INSERT INTO conversations (user_id, title, updated_at, created_at, last_message_at)
         SELECT '${userId}', 'Conversation ' || g, now() - g * interval '1 minute', now() - g * interval '1 minute', now() - g * interval '1 minute'
           FROM generate_series(1, ${ROWS}) g
         RETURNING id, user_id, created_at)
       INSERT INTO messages (conversation_id, user_id, role, content, status, created_at)
       SELECT c.id, c.user_id, r.role, r.content, 'complete', c.created_at + r.k * interval '1 second'
         FROM c, (VALUES (0, 'user', 'What is the weather like on Mars today?'),
                         (1, 'assistant', repeat('The weather on Mars is cold and dusty. ', 8))) AS r(k, role, content)`,
    );
  }
  psqlOn(db, 'VACUUM ANALYZE conversations');
  psqlOn(db, 'VACUUM ANALYZE messages');
}

/** User+system CPU of the PostgreSQL backends connected to the bench database, or null if unreadable. */
function pgCpuMs(db) {
  try {
    const pids = psqlOn(db, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).split('\n').filter(Boolean);
    return new Map(pids.map((pid) => [pid, cpuTimeMs(Number(pid))]));
  } catch {
    return null;
  }
}

/** CPU the backends present at both ends spent in between (the pool is warm by then). */
function pgCpuBetween(before, after) {
  if (!before || !after) return null;
  let total = 0;
  for (const [pid, ms] of after) if (before.has(pid)) total += ms - before.get(pid);
  return total;
}

const perRequest = (ms, requests) => (ms === null ? null : Math.round((ms / Math.max(requests, 1)) * 100) / 100);

async function measure(proc, db, label, requestPath, token) {
  const opts = { url: `${proc.url}${requestPath}`, connections: CONNECTIONS, headers: { authorization: `Bearer ${token}` }, ...(RATE ? { overallRate: RATE } : {}) };
  await cannon({ ...opts, duration: WARMUP });
  const pgBefore = pgCpuMs(db);
  const cpuBefore = cpuTimeMs(proc.child.pid);
  const result = await cannon({ ...opts, duration: DURATION });
  const cpuMs = cpuTimeMs(proc.child.pid) - cpuBefore;
  const pgMs = pgCpuBetween(pgBefore, pgCpuMs(db));
  const row = { run: label, path: requestPath, ...result, server_cpu_ms_per_req: perRequest(cpuMs, result.requests), pg_cpu_ms_per_req: perRequest(pgMs, result.requests) };
  process.stderr.write(`${label}: ${row.req_per_s} req/s, p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms, CPU/request server ${row.server_cpu_ms_per_req} ms, PostgreSQL ${row.pg_cpu_ms_per_req} ms\n`);
  return row;
}

async function main() {
  const { dir } = tempDir('bench-list-');
  const logFile = path.join(dir, 'server.log');
  const db = createBenchDatabase();
  const extraArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = startProcess({ env: serverEnv(await freePort(), { DATABASE_URL: db.url, JWT_ACCESS_TTL: '1h' }), logFile, nodeArgs: extraArgs });
  const rows = [];
  try {
    await waitFor200(proc, `${proc.url}/api/ready`, { timeoutMs: 60_000 });
    const runId = Date.now().toString(36);
    const owner = await register(proc.url, `list_${runId}_owner`);
    const others = [];
    for (let i = 0; i < OTHER_USERS; i++) others.push(await register(proc.url, `list_${runId}_${i}`));
    const seedStart = performance.now();
    seed(db, [owner.user.id, ...others.map((o) => o.user.id)]);
    process.stderr.write(`seeded ${ROWS} conversations for ${1 + OTHER_USERS} users in ${((performance.now() - seedStart) / 1000).toFixed(1)} s\n`);

    // Correctness first: the page is the owner's, newest first, with counts and previews.
    // A kept-alive socket may have been closed by the server while seeding (keep-alive timeout): retry once.
    const getFirstPage = () => fetch(`${proc.url}/api/v1/chat/conversations`, { headers: { authorization: `Bearer ${owner.access_token}` }, signal: AbortSignal.timeout(30_000) });
    const check = await getFirstPage().catch(getFirstPage);
    const body = await check.json();
    if (check.status !== 200 || body.pagination?.total !== ROWS || body.data?.length !== 20 || body.data[0].title !== 'Conversation 1' || body.data[0].message_count !== 2) {
      throw new Error(`unexpected first page: ${check.status} ${JSON.stringify(body).slice(0, 400)}`);
    }

    if (VARIANTS.includes('first')) rows.push(await measure(proc, db, 'first page (limit 20)', '/api/v1/chat/conversations', owner.access_token));
    if (VARIANTS.includes('100')) rows.push(await measure(proc, db, 'page of 100', '/api/v1/chat/conversations?limit=100', owner.access_token));
    if (VARIANTS.includes('deep')) rows.push(await measure(proc, db, 'deep page (offset 900)', '/api/v1/chat/conversations?offset=900', owner.access_token));
  } finally {
    await stopProcess(proc);
    db.drop();
  }
  const first = rows[0];
  const summary = {
    bench: 'list-conversations',
    date: new Date().toISOString(),
    node: process.version,
    log_level: process.env.BENCH_LOG_LEVEL ?? 'info',
    connections: CONNECTIONS,
    offered_rate: RATE ?? null,
    rows_per_user: ROWS,
    users: 1 + OTHER_USERS,
    target: `>= ${TARGET.req_per_s} req/s and p99 <= ${TARGET.p99_ms} ms (first page)`,
    target_met: first.path === '/api/v1/chat/conversations' && !RATE && first.req_per_s >= TARGET.req_per_s && first.p99_ms <= TARGET.p99_ms,
    rows,
    log_problems: logProblems(logFile),
  };
  console.log(JSON.stringify(summary, null, 2));
  console.log(
    `\n${markdownTable(rows.map(({ run, req_per_s, p50_ms, p99_ms, p99_9_ms, non_2xx, errors, server_cpu_ms_per_req, pg_cpu_ms_per_req }) => ({ run, req_per_s, p50_ms, p99_ms, p99_9_ms, non_2xx, errors, server_cpu_ms_per_req, pg_cpu_ms_per_req })))}`,
  );
  console.log(`\ntarget ${summary.target}: ${summary.target_met ? 'met' : 'NOT met'}`);
}

run(main);
