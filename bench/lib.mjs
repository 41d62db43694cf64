// Shared helpers for the bench scripts (run from the repo root, against the built server):
// spawn/stop `node dist/src/main.js`, wait for readiness, create/drop a bench database with
// psql, run autocannon. Every wait is bounded; children, bench databases and temp dirs are
// cleaned up at exit, even when a script throws or is interrupted.
import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';

// Production requires SMTP while local registration is on (benches register users): a local
// sink accepts and drops every mail, so mail costs what it costs without anything sent.
const mailSink = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, done) {
    stream.resume();
    stream.on('end', () => done());
  },
});
await new Promise((resolve) => mailSink.listen(0, '127.0.0.1', resolve));
mailSink.server.unref();
const MAIL_SINK_URL = `smtp://127.0.0.1:${mailSink.server.address().port}`;

const PG = ['-h', process.env.BENCH_PG_HOST ?? '127.0.0.1', '-U', process.env.BENCH_PG_USER ?? 'postgres'];
const PG_PORT = process.env.BENCH_PG_PORT ?? '5432';

// ---- cleanup at exit (sync only: 'exit' handlers cannot await)
const children = new Set();
const atExit = [];
process.on('exit', (code) => {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const fn of atExit.splice(0).reverse()) {
    try {
      fn(code);
    } catch (error) {
      process.stderr.write(`cleanup failed: ${error.message}\n`);
    }
  }
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(130));

/**
 * Runs `fn(exitCode)` (sync) at exit unless the returned function is called first: that runs it
 * now, and only once it succeeded is it dropped from the exit list (so a psql killed by a
 * Ctrl-C sent to the whole process group is retried at exit).
 */
export function onExit(fn) {
  atExit.push(fn);
  return () => {
    fn(0);
    const i = atExit.indexOf(fn);
    if (i !== -1) atExit.splice(i, 1);
  };
}

/** Runs an async main, prints its error, and always exits (so no stray handle keeps us alive). */
export function run(main) {
  main().then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`${error?.stack ?? error}\n`);
      process.exit(1);
    },
  );
}

// ---- ports, databases, temp dirs
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function psql(sql) {
  execFileSync('psql', [...PG, '-p', PG_PORT, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qtAc', sql], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
}

/** Creates `bench_<timestamp>_<random>` on the external PostgreSQL; dropped by drop() or at exit. */
export function createBenchDatabase() {
  const name = `bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  // Registered first: if CREATE is interrupted after the server ran it, the drop still happens.
  const drop = onExit(() => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  psql(`CREATE DATABASE ${name}`);
  const user = PG[3];
  return { name, url: `postgres://${user}@${PG[1]}:${PG_PORT}/${name}`, drop };
}

/**
 * A fresh temp dir for server logs and embedded data (mode 755: the embedded PostgreSQL runs as
 * OS user postgres when we are root). Removed at exit, or kept and named if the bench failed.
 */
export function tempDir(prefix = 'bench-') {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o755);
  const remove = onExit((code) => {
    if (code === 0) rmSync(dir, { recursive: true, force: true });
    else process.stderr.write(`kept ${dir} (server logs) for inspection\n`);
  });
  return { dir, remove };
}

/** If an embedded PostgreSQL outlived its server (SIGKILLed parent), stop it (immediate shutdown). */
export function killOrphanPostgres(dataDir) {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    if (pid > 0) process.kill(pid, 'SIGQUIT');
  } catch {
    /* not running */
  }
}

// ---- the server under test
/**
 * Environment of the server under test: loopback, a free port, rate limits out of reach
 * (100000000/min, so throttling never triggers), NODE_ENV=production with random secrets,
 * LOG_LEVEL info unless BENCH_LOG_LEVEL says otherwise. DATABASE_URL only when given.
 */
export function serverEnv(port, extra = {}) {
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'EMBEDDED_DB_DIR', 'LOG_LEVEL', 'REDIS_URL', 'NODE_ENV']) delete env[name];
  return {
    ...env,
    NODE_ENV: 'production',
    SMTP_URL: MAIL_SINK_URL,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    API_HOST: '127.0.0.1',
    API_PORT: String(port),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    RATE_LIMIT_PER_MINUTE: '100000000',
    RATE_LIMIT_AUTH_PER_MINUTE: '100000000',
    // One bench user drives every stream and conversation: per-user quotas must not cut in.
    MAX_CONCURRENT_STREAMS_PER_USER: '1000000',
    MAX_CONVERSATIONS_PER_USER: '1000000000',
    ...extra,
  };
}

/**
 * The node flags `npm start` gives the server (`"start": "node <flags> dist/src/main.js"` in the
 * package.json of the checkout that holds `script`), so a bench runs the server as shipped.
 */
export function startFlags(script) {
  if (!script.endsWith(path.join('dist', 'src', 'main.js'))) return [];
  try {
    const pkg = JSON.parse(readFileSync(path.resolve(script, '..', '..', '..', 'package.json'), 'utf8'));
    const words = (pkg.scripts?.start ?? '').split(/\s+/);
    return words.slice(words.indexOf('node') + 1, words.indexOf('dist/src/main.js')).filter((word) => word.startsWith('--'));
  } catch {
    return [];
  }
}

/**
 * Spawns `node <script>` (default the built server, with its `npm start` flags) with
 * stdout+stderr appended to logFile (or discarded): no pipe back to us, so logging costs the
 * server what it costs in production.
 */
export function startProcess({ script = 'dist/src/main.js', env, logFile, nodeArgs = [] }) {
  const out = logFile ? openSync(logFile, 'a') : 'ignore';
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...startFlags(script), ...nodeArgs, script], { env, stdio: ['ignore', out, out] });
  if (typeof out === 'number') closeSync(out);
  children.add(child);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, at: performance.now() });
    });
  });
  return { child, spawnedAt, exited, port: Number(env.API_PORT), url: `http://127.0.0.1:${env.API_PORT}` };
}

function getStatus(url, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Polls GET url every intervalMs until 200; returns the time of that 200 (performance.now()). */
export async function waitFor200(proc, url, { timeoutMs = 120_000, intervalMs = 10 } = {}) {
  let exited = false;
  proc.exited.then(() => (exited = true));
  const deadline = performance.now() + timeoutMs;
  for (let i = 0; i < Math.ceil(timeoutMs / intervalMs) + 1 && performance.now() < deadline; i++) {
    if ((await getStatus(url)) === 200) return performance.now();
    if (exited) throw new Error(`server exited before ${url} answered 200 (see its log)`);
    await sleep(intervalMs);
  }
  throw new Error(`${url} not 200 within ${timeoutMs} ms`);
}

/** SIGTERM, then wait for exit (SIGKILL after timeoutMs). Returns {ms, code, signal, killed}. */
export async function stopProcess(proc, timeoutMs = 20_000) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
    const { code, signal } = await proc.exited;
    return { ms: 0, code, signal, killed: false };
  }
  const sentAt = performance.now();
  proc.child.kill('SIGTERM');
  const timer = sleep(timeoutMs, 'timeout');
  const outcome = await Promise.race([proc.exited, timer]);
  if (outcome === 'timeout') {
    proc.child.kill('SIGKILL');
    const { code, signal } = await proc.exited;
    return { ms: performance.now() - sentAt, code, signal, killed: true };
  }
  return { ms: outcome.at - sentAt, code: outcome.code, signal: outcome.signal, killed: false };
}

/** Error/fatal lines (pino level >= 50) and non-JSON lines (stderr) of a server log. */
export function logProblems(logFile, max = 20) {
  if (!existsSync(logFile)) return [];
  const problems = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let level;
    try {
      level = JSON.parse(line).level;
    } catch {
      level = 'stderr';
    }
    if (level === 'stderr' || level >= 50) problems.push(line.slice(0, 400));
    if (problems.length >= max) break;
  }
  return problems;
}

// ---- load
/** autocannon, promise form; returns a compact summary (latencies in ms, 1 ms resolution). */
export async function cannon(opts) {
  const result = await autocannon({ connections: 10, duration: 10, ...opts });
  return summarize(result);
}

export function summarize(r) {
  const rate = r.requests.total / r.duration;
  return {
    connections: r.connections,
    duration_s: r.duration,
    requests: r.requests.total,
    req_per_s: rate >= 100 ? Math.round(rate) : Math.round(rate * 100) / 100,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    p99_9_ms: r.latency.p99_9,
    max_ms: r.latency.max,
    non_2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** A markdown table from an array of flat objects. */
export function markdownTable(rows) {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]);
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(keys), line(keys.map(() => '---')), ...rows.map((row) => line(keys.map((k) => row[k] ?? '')))].join('\n');
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User+system CPU time of a process so far, in ms (Linux /proc; includes its libuv threads). */
export function cpuTimeMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  return (ticks * 1000) / CLOCK_TICKS;
}
