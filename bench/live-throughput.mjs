// GET /api/live throughput and latency (autocannon, 50 connections, 3 s warm-up + 10 s measured)
// for the built server, next to bench/hello-world.mjs (bare NestJS on Express) in the same run.
// The two are measured one after the other, never at once, alternating for BENCH_ROUNDS rounds
// (default 2); the ratio uses the median req/s of each. The server's stdout goes to a file.
// Also measured each round: the hello-world with the server's Express middleware in the same
// order (HELLO_STACK=same), and the ratio against it.
// Env: BENCH_CONNECTIONS (50), BENCH_DURATION (10), BENCH_WARMUP (3), BENCH_LOG_LEVEL (info).
// Usage (repo root, after `npm run build`): node bench/live-throughput.mjs
import path from 'node:path';
import {
  cannon,
  cpuTimeMs,
  createBenchDatabase,
  freePort,
  logProblems,
  markdownTable,
  median,
  run,
  serverEnv,
  startProcess,
  stopProcess,
  tempDir,
  waitFor200,
} from './lib.mjs';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const TARGET_RATIO = 0.7;

async function measure(label, script, env, logFile) {
  const proc = startProcess({ script, env: serverEnv(await freePort(), env), logFile });
  try {
    await waitFor200(proc, `${proc.url}/api/live`, { timeoutMs: 60_000 });
    const url = `${proc.url}/api/live`;
    await cannon({ url, connections: CONNECTIONS, duration: WARMUP });
    const cpuBefore = cpuTimeMs(proc.child.pid);
    const result = await cannon({ url, connections: CONNECTIONS, duration: DURATION });
    // CPU per request varies far less than req/s on a shared machine: the steadier comparison.
    const cpuUsPerReq = Math.round(((cpuTimeMs(proc.child.pid) - cpuBefore) * 1000) / Math.max(result.requests, 1));
    process.stderr.write(`${label}: ${result.req_per_s} req/s, ${cpuUsPerReq} µs CPU/request\n`);
    return { app: label, ...result, server_cpu_us_per_req: cpuUsPerReq };
  } finally {
    await stopProcess(proc);
  }
}

async function main() {
  const { dir } = tempDir('bench-live-');
  const db = createBenchDatabase();
  const logFile = path.join(dir, 'server.log');
  const rows = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      rows.push({ round, ...(await measure('hello-world', 'bench/hello-world.mjs', {}, path.join(dir, 'hello.log'))) });
      rows.push({ round, ...(await measure('hello-world+stack', 'bench/hello-world.mjs', { HELLO_STACK: 'same' }, path.join(dir, 'hello.log'))) });
      rows.push({ round, ...(await measure('agent-backend', 'dist/src/main.js', { DATABASE_URL: db.url }, logFile)) });
    }
  } finally {
    db.drop();
  }
  const rps = (app) => median(rows.filter((r) => r.app === app).map((r) => r.req_per_s));
  const cpu = (app) => median(rows.filter((r) => r.app === app).map((r) => r.server_cpu_us_per_req));
  const ratio = rps('agent-backend') / rps('hello-world');
  const stackRatio = rps('agent-backend') / rps('hello-world+stack');
  const summary = {
    bench: 'live-throughput',
    date: new Date().toISOString(),
    log_level: process.env.BENCH_LOG_LEVEL ?? 'info',
    connections: CONNECTIONS,
    duration_s: DURATION,
    warmup_s: WARMUP,
    hello_world_req_per_s: rps('hello-world'),
    hello_world_same_stack_req_per_s: rps('hello-world+stack'),
    agent_backend_req_per_s: rps('agent-backend'),
    ratio: Math.round(ratio * 1000) / 1000,
    ratio_same_stack: Math.round(stackRatio * 1000) / 1000,
    cpu_us_per_req: { hello_world: cpu('hello-world'), hello_world_same_stack: cpu('hello-world+stack'), agent_backend: cpu('agent-backend') },
    cpu_ratio: Math.round((cpu('hello-world') / cpu('agent-backend')) * 1000) / 1000,
    cpu_ratio_same_stack: Math.round((cpu('hello-world+stack') / cpu('agent-backend')) * 1000) / 1000,
    target: `>= ${TARGET_RATIO}`,
    target_met: ratio >= TARGET_RATIO,
    rows,
    log_problems: logProblems(logFile),
  };
  console.log(JSON.stringify(summary, null, 2));
  console.log(
    `\n${markdownTable(rows.map(({ round, app, req_per_s, p50_ms, p99_ms, non_2xx, errors, server_cpu_us_per_req }) => ({ round, app, req_per_s, p50_ms, p99_ms, non_2xx, errors, server_cpu_us_per_req })))}`,
  );
  console.log(`\nratio agent-backend / hello-world = ${summary.ratio} (target ${summary.target}: ${summary.target_met ? 'met' : 'NOT met'})`);
  console.log(`ratio agent-backend / hello-world with the same Express middleware = ${summary.ratio_same_stack} (${stackRatio >= TARGET_RATIO ? 'met' : 'NOT met'})`);
  console.log(`CPU per request (µs): ${JSON.stringify(summary.cpu_us_per_req)}; capacity ratio from CPU = ${summary.cpu_ratio} (same stack: ${summary.cpu_ratio_same_stack})`);
}

run(main);
