// Cold start: time from spawning `node dist/src/main.js` to the first 200 on GET /api/ready,
// and from SIGTERM to process exit, for
//   external DB: a fresh bench database (first start runs the migrations), then a second start;
//   embedded DB: a fresh empty data dir (first start includes initdb), then a second start.
// Each scenario is repeated BENCH_REPEAT times (default 3) on fresh state; medians reported.
// Usage (repo root, after `npm run build`): node bench/cold-start.mjs
import path from 'node:path';
import {
  createBenchDatabase,
  freePort,
  killOrphanPostgres,
  logProblems,
  markdownTable,
  median,
  onExit,
  run,
  serverEnv,
  startProcess,
  stopProcess,
  tempDir,
  waitFor200,
} from './lib.mjs';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

/** One start -> ready -> SIGTERM -> exit cycle. */
async function cycle(env, logFile) {
  const proc = startProcess({ env: serverEnv(await freePort(), env), logFile });
  try {
    const readyAt = await waitFor200(proc, `${proc.url}/api/ready`, { timeoutMs: 120_000 });
    const stop = await stopProcess(proc);
    if (stop.code !== 0) throw new Error(`exit code ${stop.code} (signal ${stop.signal}) after SIGTERM`);
    return { ready_ms: readyAt - proc.spawnedAt, stop_ms: stop.ms };
  } finally {
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
  }
}

async function main() {
  const { dir: work, remove } = tempDir('bench-cold-');
  const logFile = path.join(work, 'server.log');
  const samples = { 'external, first start (migrations)': [], 'external, second start': [], 'embedded, first start (initdb + migrations)': [], 'embedded, second start': [] };

  for (let i = 0; i < REPEAT; i++) {
    const db = createBenchDatabase();
    try {
      samples['external, first start (migrations)'].push(await cycle({ DATABASE_URL: db.url }, logFile));
      samples['external, second start'].push(await cycle({ DATABASE_URL: db.url }, logFile));
    } finally {
      db.drop();
    }

    const dataDir = path.join(work, `pg-${i}`);
    const stopOrphan = onExit(() => killOrphanPostgres(dataDir)); // e.g. after Ctrl-C
    try {
      samples['embedded, first start (initdb + migrations)'].push(await cycle({ EMBEDDED_DB_DIR: dataDir }, logFile));
      samples['embedded, second start'].push(await cycle({ EMBEDDED_DB_DIR: dataDir }, logFile));
    } finally {
      stopOrphan();
    }
    process.stderr.write(`round ${i + 1}/${REPEAT} done\n`);
  }

  const rows = Object.entries(samples).map(([scenario, runs]) => ({
    scenario,
    'ready, median ms': Math.round(median(runs.map((r) => r.ready_ms))),
    'ready, runs ms': runs.map((r) => Math.round(r.ready_ms)).join(' / '),
    'SIGTERM to exit, median ms': Math.round(median(runs.map((r) => r.stop_ms))),
    'SIGTERM to exit, runs ms': runs.map((r) => Math.round(r.stop_ms)).join(' / '),
  }));
  const problems = logProblems(logFile);
  console.log(JSON.stringify({ bench: 'cold-start', date: new Date().toISOString(), repeat: REPEAT, rows, log_problems: problems }, null, 2));
  console.log(`\n${markdownTable(rows)}`);
  remove();
}

run(main);
