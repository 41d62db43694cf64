// Chat streaming bench: how much latency the server adds between the model's first token and
// the client's first `event: chunk`, under 20 concurrent streams (scenario A), and event-loop
// delay and memory under 200 concurrent streams (scenario B).
//
// Plain Node ESM, no dependencies beyond node:*. Run from the repo root after a build:
//   npx nest build && node bench/chat-stream.mjs
//
// Everything runs on 127.0.0.1: an OpenAI-compatible fake model inside this process (fixed token
// rate, records when it writes each request's first content token), the built server as a child
// process on a fresh PostgreSQL database (dropped at the end), and node:http SSE clients.
// Both timestamps (the fake's send time and the client's receive time) come from this process's
// clock (performance.timeOrigin + performance.now()), so they are directly comparable.
//
// Tunables (env): BENCH_LOG_LEVEL (warn), BENCH_USERS (4), BENCH_A_STREAMS (20), BENCH_A_ROUNDS (10),
// BENCH_A_TOKENS (20), BENCH_A_INTERVAL_MS (25), BENCH_B_STREAMS (200), BENCH_B_TOKENS (40),
// BENCH_B_INTERVAL_MS (50), BENCH_PG_HOST / BENCH_PG_PORT / BENCH_PG_USER (127.0.0.1 / 5432 / postgres),
// BENCH_DB_POOL_SIZE (server's DATABASE_POOL_SIZE; default: the server's own, 10),
// BENCH_NODE_ARGS (node flags for the server after those of `npm start`, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
// BENCH_KEEP_LOG=1 (keep the server log even when nothing went wrong),
// BENCH_READY_PROBE_MS (100: how often scenario B times its /api/ready probes, in this process and
// from bench/ready-probe.mjs in a process of its own).
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const env = process.env;
const num = (name, fallback) => (env[name] === undefined || env[name] === '' ? fallback : Number(env[name]));
const CFG = {
  logLevel: env.BENCH_LOG_LEVEL ?? 'warn',
  users: num('BENCH_USERS', 4),
  a: { streams: num('BENCH_A_STREAMS', 20), rounds: num('BENCH_A_ROUNDS', 10), tokens: num('BENCH_A_TOKENS', 20), intervalMs: num('BENCH_A_INTERVAL_MS', 25) },
  b: { streams: num('BENCH_B_STREAMS', 200), tokens: num('BENCH_B_TOKENS', 40), intervalMs: num('BENCH_B_INTERVAL_MS', 50) },
  pg: { host: env.BENCH_PG_HOST ?? '127.0.0.1', port: env.BENCH_PG_PORT ?? '5432', user: env.BENCH_PG_USER ?? 'postgres' },
  /** DATABASE_POOL_SIZE of the server; unset: the server's default (10). */
  dbPoolSize: env.BENCH_DB_POOL_SIZE || null,
  streamTimeoutMs: 60_000,
  totalTimeoutMs: 15 * 60_000,
};

const STATS_WAIT_MS = 11_000;
const READY_PROBE_MS = num('BENCH_READY_PROBE_MS', 100);
const now = () => performance.timeOrigin + performance.now(); // wall clock, sub-millisecond
const round1 = (x) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10) / 10);
const log = (...args) => process.stderr.write(`[chat-stream] ${args.join(' ')}\n`);

// ---------------------------------------------------------------------------------------------
// The fake model: POST /v1/chat/completions, streaming `tokens` content deltas every `intervalMs`.
// ---------------------------------------------------------------------------------------------
class FakeModel {
  profile = { tokens: 20, intervalMs: 25 };
  /** marker -> { requestAt, firstTokenAt, lastTokenAt, text, calls } */
  replies = new Map();
  unmatched = 0;
  requests = 0;
  errors = [];
  sockets = new Set();
  server = http.createServer((req, res) => {
    this.handle(req, res).catch((error) => {
      this.errors.push(String(error?.message ?? error));
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  url = '';

  async start() {
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.url = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }

  static textFor(marker, tokens) {
    // First token names the request, so a reply delivered to the wrong stream is detected.
    return Array.from({ length: tokens }, (_, i) => (i === 0 ? `[${marker}] ` : i === tokens - 1 ? `w${i}.` : `w${i} `));
  }

  async handle(req, res) {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    this.requests++;
    const body = JSON.parse(raw);
    const marker = findMarker(body.messages);
    if (!marker) this.unmatched++;
    const { tokens, intervalMs } = this.profile;
    const pieces = FakeModel.textFor(marker ?? 'unknown', tokens);
    const text = pieces.join('');
    const id = `chatcmpl-${this.requests}`;
    const usage = { prompt_tokens: 40, completion_tokens: tokens, total_tokens: 40 + tokens };
    const record = marker ? (this.replies.get(marker) ?? { requestAt: now(), firstTokenAt: null, lastTokenAt: null, text, calls: 0 }) : null;
    if (record) {
      record.calls++;
      record.text = text;
      this.replies.set(marker, record);
    }

    if (!body.stream) {
      if (record && record.firstTokenAt === null) record.firstTokenAt = now();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: text } }],
          usage,
        }),
      );
      return;
    }

    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    const frame = (delta, finish = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    for (let i = 0; i < pieces.length; i++) {
      if (res.destroyed) return;
      if (i === 0) {
        // Role first (ChatOpenAI needs it), then the first content token, in one write.
        const payload = frame({ role: 'assistant', content: '' }) + frame({ content: pieces[0] });
        if (record && record.firstTokenAt === null) record.firstTokenAt = now();
        res.write(payload);
      } else {
        res.write(frame({ content: pieces[i] }));
      }
      if (i < pieces.length - 1) await sleep(intervalMs);
    }
    if (res.destroyed) return;
    if (record) record.lastTokenAt = now();
    res.write(frame({}, 'stop'));
    if (body.stream_options?.include_usage) {
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: body.model, choices: [], usage })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  }
}

/** The `bench-<n>` marker of the last user message (string content or text parts). */
function findMarker(messages) {
  if (!Array.isArray(messages)) return null;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role !== 'user') continue;
    const content =
      typeof message.content === 'string'
        ? message.content
        : Array.isArray(message.content)
          ? message.content.map((part) => (typeof part === 'string' ? part : (part?.text ?? ''))).join('')
          : '';
    const match = /bench-\d+/.exec(content);
    if (match) return match[0];
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Helpers: ports, psql, HTTP
// ---------------------------------------------------------------------------------------------
function freePort() {
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
  execFileSync('psql', ['-h', CFG.pg.host, '-p', CFG.pg.port, '-U', CFG.pg.user, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qtAc', sql], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
}

/** Committed + rolled-back transactions of the bench database so far (each autocommit statement is one). */
function dbTransactions(name) {
  try {
    const out = execFileSync(
      'psql',
      ['-h', CFG.pg.host, '-p', CFG.pg.port, '-U', CFG.pg.user, '-d', 'postgres', '-qtAc', `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '${name}'`],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 },
    );
    return Number(out.trim());
  } catch {
    return NaN;
  }
}

/** A JSON request; resolves {status, body} (body parsed when possible); never rejects. */
function requestJson(baseUrl, method, pathname, { body, token, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      new URL(pathname, baseUrl),
      {
        method,
        agent: false,
        timeout: timeoutMs,
        headers: {
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let raw = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (raw += chunk));
        res.on('end', () => {
          let parsed = raw;
          try {
            parsed = JSON.parse(raw);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', (error) => resolve({ status: 0, body: String(error.message) }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ status: 0, body: String(error.message) }));
    if (payload) req.write(payload);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// One SSE stream: POST /api/v1/chat/message {message, stream:true}, parsed incrementally.
// ---------------------------------------------------------------------------------------------
function chatStream(baseUrl, token, marker) {
  const payload = JSON.stringify({ message: marker, stream: true });
  return new Promise((resolve) => {
    const result = {
      marker,
      status: 0,
      startedAt: now(),
      headersAt: null,
      firstChunkAt: null,
      doneAt: null,
      endedAt: null,
      chunks: [],
      events: [],
      lastTwo: [],
      doneData: null,
      error: null,
    };
    let buffer = '';
    let settled = false;
    const finish = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      result.endedAt = now();
      if (error && !result.error) result.error = error;
      resolve(result);
    };
    const onFrame = (block, receivedAt) => {
      const frame = { event: undefined, data: '' };
      let meaningful = false;
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        meaningful = true;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') frame.event = value;
        else if (field === 'data') frame.data = frame.data ? `${frame.data}\n${value}` : value;
      }
      if (!meaningful) return; // heartbeat comment
      result.lastTwo = [result.lastTwo.at(-1), frame].filter(Boolean);
      if (frame.event) result.events.push(frame.event);
      if (frame.event === 'chunk') {
        if (result.firstChunkAt === null) result.firstChunkAt = receivedAt;
        try {
          result.chunks.push(JSON.parse(frame.data).content ?? '');
        } catch {
          result.error ??= 'unparseable chunk data';
        }
      } else if (frame.event === 'done') {
        result.doneAt = receivedAt;
        try {
          result.doneData = JSON.parse(frame.data);
        } catch {
          result.error ??= 'unparseable done data';
        }
      } else if (frame.event === 'error') {
        result.error ??= `error event: ${frame.data.slice(0, 300)}`;
      }
    };
    const req = http.request(
      new URL('/api/v1/chat/message', baseUrl),
      {
        method: 'POST',
        agent: false,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'text/event-stream',
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        result.status = res.statusCode ?? 0;
        result.headersAt = now();
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          const receivedAt = now();
          buffer += chunk;
          let cut;
          while ((cut = buffer.indexOf('\n\n')) !== -1) {
            onFrame(buffer.slice(0, cut), receivedAt);
            buffer = buffer.slice(cut + 2);
          }
        });
        res.on('end', () => finish(result.status === 200 ? null : `HTTP ${result.status}: ${buffer.slice(0, 300)}`));
        res.on('error', (error) => finish(`response error: ${error.message}`));
        res.on('close', () => finish(res.complete ? null : 'connection closed before the end'));
      },
    );
    const timer = setTimeout(() => {
      finish(`timeout after ${CFG.streamTimeoutMs} ms`);
      req.destroy();
    }, CFG.streamTimeoutMs);
    req.on('error', (error) => finish(`request error: ${error.message}`));
    req.write(payload);
    req.end();
  });
}

/** Checks one stream against what the fake sent; returns null when fine, else the reason. */
function verify(stream, fake) {
  if (stream.error) return stream.error;
  if (stream.status !== 200) return `HTTP ${stream.status}`;
  const sent = fake.replies.get(stream.marker);
  if (!sent) return 'the fake model never saw this marker';
  if (sent.calls !== 1) return `the fake model was called ${sent.calls} times for this marker`;
  const [before, last] = stream.lastTwo;
  if (!last || last.event !== undefined || last.data !== '[DONE]') return 'last frame is not data: [DONE]';
  if (!before || before.event !== 'done') return 'frame before [DONE] is not event: done';
  if (stream.doneData?.status !== 'complete') return `done status ${stream.doneData?.status}`;
  if (stream.events[0] !== 'conversation_id') return `first event is ${stream.events[0]}`;
  const got = stream.chunks.join('');
  if (got !== sent.text) return `content mismatch: got ${JSON.stringify(got.slice(0, 80))}, expected ${JSON.stringify(sent.text.slice(0, 80))}`;
  if (stream.firstChunkAt === null || sent.firstTokenAt === null) return 'no first chunk / first token time';
  return null;
}

function stats(values) {
  const sorted = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0, min: null, p50: null, p95: null, p99: null, max: null };
  const pick = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return { n: sorted.length, min: round1(sorted[0]), p50: round1(pick(50)), p95: round1(pick(95)), p99: round1(pick(99)), max: round1(sorted.at(-1)) };
}

/** Runs `count` streams at once; returns per-stream measurements and failures. */
async function runBatch(baseUrl, tokens, fake, count, nextMarker) {
  const streams = await Promise.all(Array.from({ length: count }, (_, i) => chatStream(baseUrl, tokens[i % tokens.length], nextMarker())));
  const rows = [];
  const failures = [];
  // When a stream's first token was sent, how many other streams of the batch had not yet
  // reached the model (their requests were still being set up on the server)?
  const modelRequestAts = streams.map((stream) => fake.replies.get(stream.marker)?.requestAt ?? Infinity);
  for (const stream of streams) {
    const reason = verify(stream, fake);
    if (reason) {
      failures.push({ marker: stream.marker, reason });
      continue;
    }
    const sent = fake.replies.get(stream.marker);
    rows.push({
      othersInSetup: modelRequestAts.filter((at) => at > sent.firstTokenAt).length,
      added: stream.firstChunkAt - sent.firstTokenAt,
      ttfc: stream.firstChunkAt - stream.startedAt,
      modelWait: sent.firstTokenAt - stream.startedAt,
      total: stream.endedAt - stream.startedAt,
      tail: sent.lastTokenAt === null ? null : stream.doneAt - sent.lastTokenAt,
    });
  }
  return { rows, failures };
}

function summarizeRows(rows, failures, streamsTotal) {
  return {
    streams: streamsTotal,
    ok: rows.length,
    failures: failures.length,
    failure_samples: failures.slice(0, 5),
    added_first_token_ms: stats(rows.map((r) => r.added)),
    added_when_other_streams_still_in_setup_ms: stats(rows.filter((r) => r.othersInSetup > 0).map((r) => r.added)),
    added_when_all_streams_past_setup_ms: stats(rows.filter((r) => r.othersInSetup === 0).map((r) => r.added)),
    time_to_first_chunk_ms: stats(rows.map((r) => r.ttfc)),
    request_to_model_first_token_ms: stats(rows.map((r) => r.modelWait)),
    stream_total_ms: stats(rows.map((r) => r.total)),
    model_end_to_done_ms: stats(rows.map((r) => r.tail)),
  };
}

const processDetails = (health) => health?.body?.details?.process ?? health?.body?.info?.process ?? null;

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* default */
}
/** User+system CPU time of a process so far, in ms (Linux /proc; includes its libuv threads). */
function cpuTimeMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return NaN;
  }
}

/** Error/fatal (pino level >= 50), warn (40) and non-JSON lines of the server log. */
function scanLog(file, max = 10) {
  const out = { error_lines: 0, warn_lines: 0, other_lines: 0, samples: [] };
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let level;
    try {
      level = JSON.parse(line).level;
    } catch {
      level = 'stderr';
    }
    if (level === 'stderr') out.other_lines++;
    else if (level >= 50) out.error_lines++;
    else if (level >= 40) out.warn_lines++;
    else continue;
    if (out.samples.length < max) out.samples.push(line.slice(0, 400));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------
let child = null;
let dbName = null;
function hardCleanup() {
  // Sync, for 'exit': SIGKILL the child, drop the database.
  if (child && child.exitCode === null && child.signalCode === null) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (dbName) {
    try {
      psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    } catch (error) {
      process.stderr.write(`could not drop ${dbName}: ${error.message}\n`);
    }
    dbName = null;
  }
}
process.on('exit', hardCleanup);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(130));

async function stopChild(timeoutMs = 10_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return { code: child?.exitCode ?? null, killed: false, ms: 0 };
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const sentAt = performance.now();
  child.kill('SIGTERM');
  const outcome = await Promise.race([exited, sleep(timeoutMs, 'timeout')]);
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    const { code, signal } = await exited;
    return { code, signal, killed: true, ms: Math.round(performance.now() - sentAt) };
  }
  return { ...outcome, killed: false, ms: Math.round(performance.now() - sentAt) };
}

async function main() {
  const watchdog = setTimeout(() => {
    process.stderr.write(`chat-stream: gave up after ${CFG.totalTimeoutMs} ms\n`);
    process.exit(2);
  }, CFG.totalTimeoutMs);
  watchdog.unref();

  const fake = await new FakeModel().start();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-chat-'));
  const logFile = path.join(tmp, 'server.log');
  const benchLoop = monitorEventLoopDelay({ resolution: 10 });
  benchLoop.enable();
  let ok = false;
  let keepLog = env.BENCH_KEEP_LOG === '1';
  const summary = { config: CFG, node: process.version, cpus: os.cpus().length, loadavg_start: os.loadavg().map((x) => round1(x)) };
  try {
    dbName = `bench_chat_${Date.now()}`;
    psql(`CREATE DATABASE ${dbName}`);
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    // HEALTH_PORT, as the deployment files set it: probes answered by a worker thread.
    const probePort = await freePort();
    const probeUrl = `http://127.0.0.1:${probePort}`;
    const childEnv = { ...env };
    for (const name of ['DATABASE_URL', 'EMBEDDED_DB_DIR', 'REDIS_URL', 'NODE_ENV', 'FALLBACK_MODELS', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GROQ_API_KEY', 'OLLAMA_BASE_URL', 'AZURE_OPENAI_API_KEY']) delete childEnv[name];
    Object.assign(childEnv, {
      DATABASE_URL: `postgres://${CFG.pg.user}@${CFG.pg.host}:${CFG.pg.port}/${dbName}`,
      API_PORT: String(port),
      HEALTH_PORT: String(probePort),
      API_HOST: '127.0.0.1',
      LOG_LEVEL: CFG.logLevel,
      OPENAI_BASE_URL: `${fake.url}/v1`,
      OPENAI_API_KEY: 'bench',
      DEFAULT_MODEL: 'openai:gpt-bench',
      RATE_LIMIT_PER_MINUTE: '100000000',
      RATE_LIMIT_AUTH_PER_MINUTE: '100000000',
      // One bench user drives every stream and conversation: per-user quotas must not cut in.
      MAX_CONCURRENT_STREAMS_PER_USER: '1000000',
      MAX_CONVERSATIONS_PER_USER: '1000000000',
      DEFAULT_MAX_TOKENS_PER_DAY: '0',
      ...(CFG.dbPoolSize ? { DATABASE_POOL_SIZE: String(CFG.dbPoolSize) } : {}),
    });
    if (!CFG.dbPoolSize) delete childEnv.DATABASE_POOL_SIZE;
    const out = openSync(logFile, 'a');
    // The flags `npm start` gives the server (as shipped), then BENCH_NODE_ARGS.
    const startWords = (JSON.parse(readFileSync('package.json', 'utf8')).scripts?.start ?? '').split(/\s+/);
    const startFlags = startWords.slice(startWords.indexOf('node') + 1, startWords.indexOf('dist/src/main.js')).filter((word) => word.startsWith('--'));
    const nodeArgs = [...startFlags, ...(env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
    summary.server_node_args = nodeArgs;
    child = spawn(process.execPath, [...nodeArgs, 'dist/src/main.js'], { env: childEnv, stdio: ['ignore', out, out] });
    closeSync(out);
    log(`server pid ${child.pid} on ${baseUrl}, database ${dbName}, log ${logFile}`);

    // Ready (bounded: 120 s, 10 ms polls).
    const readyBy = performance.now() + 120_000;
    for (let i = 0; ; i++) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error('server exited before /api/ready answered 200');
      const { status } = await requestJson(baseUrl, 'GET', '/api/ready', { timeoutMs: 2000 });
      if (status === 200) break;
      if (performance.now() > readyBy || i > 12_000) throw new Error('/api/ready not 200 within 120 s');
      await sleep(10);
    }

    // Users (argon2id: ~0.5 s each, sequential).
    const tokens = [];
    const tag = Date.now().toString(36);
    for (let i = 0; i < CFG.users; i++) {
      const { status, body } = await requestJson(baseUrl, 'POST', '/api/v1/auth/register', {
        body: { email: `chat-bench-${tag}-${i}@example.com`, username: `chatbench_${tag}_${i}`, password: 'correct horse battery staple' },
        timeoutMs: 30_000,
      });
      const token = body?.data?.access_token;
      if (status !== 201 && status !== 200) throw new Error(`register failed: ${status} ${JSON.stringify(body).slice(0, 300)}`);
      if (!token) throw new Error(`register returned no access_token: ${JSON.stringify(body).slice(0, 300)}`);
      tokens.push(token);
    }

    let markerSeq = 0;
    const nextMarker = () => `bench-${++markerSeq}`;

    // ---- Scenario A: 20 concurrent streams x 10 rounds (after one warm-up round, not counted)
    fake.profile = { tokens: CFG.a.tokens, intervalMs: CFG.a.intervalMs };
    log(`warm-up: ${CFG.a.streams} streams`);
    const warm = await runBatch(baseUrl, tokens, fake, CFG.a.streams, nextMarker);
    summary.warmup = summarizeRows(warm.rows, warm.failures, CFG.a.streams);
    // DB transactions per /api/health call (database ping + pending-migrations check), so they
    // can be subtracted below. PostgreSQL publishes an idle backend's statistics up to 10 s late.
    await sleep(STATS_WAIT_MS);
    const x0 = dbTransactions(dbName);
    for (let i = 0; i < 10; i++) await requestJson(baseUrl, 'GET', '/api/health');
    await sleep(STATS_WAIT_MS);
    const aXacts = dbTransactions(dbName);
    const healthXacts = (aXacts - x0) / 10;
    summary.db_transactions_per_health_call = healthXacts;
    await requestJson(baseUrl, 'GET', '/api/health'); // resets the server's event-loop histogram
    benchLoop.reset();
    const aRows = [];
    const aFailures = [];
    const aLoad = [];
    const aStart = performance.now();
    const aCpu = cpuTimeMs(child.pid);
    for (let r = 0; r < CFG.a.rounds; r++) {
      const { rows, failures } = await runBatch(baseUrl, tokens, fake, CFG.a.streams, nextMarker);
      aRows.push(...rows);
      aFailures.push(...failures);
      aLoad.push(os.loadavg()[0]);
      log(`A round ${r + 1}/${CFG.a.rounds}: ${rows.length} ok, ${failures.length} failed, added p99 so far ${stats(aRows.map((x) => x.added)).p99} ms`);
    }
    const aWall = performance.now() - aStart;
    const aServerCpu = cpuTimeMs(child.pid) - aCpu;
    const aHealth = await requestJson(baseUrl, 'GET', '/api/health');
    await sleep(STATS_WAIT_MS);
    const bXacts = dbTransactions(dbName);
    const aXactsPerStream = round1((bXacts - aXacts - 2 * healthXacts) / (CFG.a.streams * CFG.a.rounds));
    summary.scenario_a = {
      ...summarizeRows(aRows, aFailures, CFG.a.streams * CFG.a.rounds),
      duration_s: round1(aWall / 1000),
      server_cpu_ms_per_stream: round1(aServerCpu / (CFG.a.streams * CFG.a.rounds)),
      server_cpu_utilisation_pct: round1((100 * aServerCpu) / aWall),
      db_transactions_per_stream: aXactsPerStream,
      server_event_loop_over_run_ms: processDetails(aHealth)?.event_loop_delay_ms ?? null,
      bench_process_event_loop_ms: { p99: round1(benchLoop.percentile(99) / 1e6), max: round1(benchLoop.max / 1e6) },
      loadavg_1m_max: round1(Math.max(...aLoad)),
    };

    // ---- Scenario B: 200 concurrent streams, process health sampled every 500 ms
    fake.profile = { tokens: CFG.b.tokens, intervalMs: CFG.b.intervalMs };
    await requestJson(baseUrl, 'GET', '/api/health'); // resets the event-loop histogram
    await sleep(1000);
    const idle = processDetails(await requestJson(baseUrl, 'GET', '/api/health'));
    benchLoop.reset();
    const samples = [];
    let batchDone = false;
    const bStart = performance.now();
    const bCpu = cpuTimeMs(child.pid);
    const batch = runBatch(baseUrl, tokens, fake, CFG.b.streams, nextMarker).finally(() => (batchDone = true));
    // Readiness as a load balancer sees it: its own probe every READY_PROBE_MS, timed, for the whole run.
    const readyProbes = [];
    // The same probe from a process of its own (this one is busy with 200 clients and the fake model).
    const prober = spawn(process.execPath, ['bench/ready-probe.mjs', baseUrl, String(READY_PROBE_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let proberOut = '';
    prober.stdout.on('data', (chunk) => (proberOut += chunk));
    const proberDone = new Promise((resolve) => prober.once('exit', resolve));
    // And the probe a kubelet or the proxy of the deployment files sends: HEALTH_PORT's /api/ready.
    const portProber = spawn(process.execPath, ['bench/ready-probe.mjs', probeUrl, String(READY_PROBE_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let portProberOut = '';
    portProber.stdout.on('data', (chunk) => (portProberOut += chunk));
    const portProberDone = new Promise((resolve) => portProber.once('exit', resolve));
    const readySampler = (async () => {
      while (!batchDone) {
        const t = performance.now();
        const { status } = await requestJson(baseUrl, 'GET', '/api/ready', { timeoutMs: 5000 });
        readyProbes.push({ status, ms: performance.now() - t });
        await sleep(READY_PROBE_MS);
      }
    })();
    const maxSamples = Math.ceil(CFG.streamTimeoutMs / 500) + 10;
    for (let i = 0; i < maxSamples && !batchDone; i++) {
      await sleep(500);
      const t = performance.now();
      const [health, ready] = await Promise.all([
        requestJson(baseUrl, 'GET', '/api/health', { timeoutMs: 5000 }).then((r) => ({ ...r, ms: performance.now() - t })),
        requestJson(baseUrl, 'GET', '/api/ready', { timeoutMs: 5000 }),
      ]);
      const details = processDetails(health);
      samples.push({
        at_ms: Math.round(t - bStart),
        health_status: health.status,
        health_ms: Math.round(health.ms),
        ready_status: ready.status,
        database: health.body?.details?.database?.status ?? null,
        ...(details ?? { missing: true }),
      });
    }
    const { rows: bRows, failures: bFailures } = await batch;
    await readySampler;
    prober.stdin.end();
    portProber.stdin.end();
    await Promise.all([proberDone, portProberDone]);
    const external = JSON.parse(proberOut.trim() || '{"probes":[],"loop":{}}');
    const probePortProbes = JSON.parse(portProberOut.trim() || '{"probes":[],"loop":{}}').probes;
    const bDuration = performance.now() - bStart;
    const bServerCpu = cpuTimeMs(child.pid) - bCpu;
    const bBenchLoop = { p99: round1(benchLoop.percentile(99) / 1e6), max: round1(benchLoop.max / 1e6) };
    const afterNow = processDetails(await requestJson(baseUrl, 'GET', '/api/health'));
    await sleep(2000);
    const afterSettled = processDetails(await requestJson(baseUrl, 'GET', '/api/health'));
    await sleep(STATS_WAIT_MS);
    // /api/ready costs about what /api/health does (database ping + pending-migrations check)
    const bXactsPerStream = round1((dbTransactions(dbName) - bXacts - (2 * samples.length + 4) * healthXacts) / CFG.b.streams);
    const during = samples.filter((s) => !s.missing);
    const peakRss = Math.max(...during.map((s) => s.rss_mb), afterNow?.rss_mb ?? 0);
    const peakHeap = Math.max(...during.map((s) => s.heap_used_mb), afterNow?.heap_used_mb ?? 0);
    summary.scenario_b = {
      ...summarizeRows(bRows, bFailures, CFG.b.streams),
      duration_s: round1(bDuration / 1000),
      server_cpu_ms_per_stream: round1(bServerCpu / CFG.b.streams),
      server_cpu_utilisation_pct: round1((100 * bServerCpu) / bDuration),
      db_transactions_per_stream: bXactsPerStream,
      ready_samples_not_200: samples.filter((x) => x.ready_status !== 200).length,
      ready_probe_ms: stats(readyProbes.map((x) => x.ms)),
      ready_probes_not_200: readyProbes.filter((x) => x.status !== 200).length,
      ready_probes_over_100ms: readyProbes.filter((x) => x.ms > 100).length,
      ready_external_probe_ms: stats(external.probes.map((x) => x.ms)),
      ready_external_not_200: external.probes.filter((x) => x.status !== 200).length,
      ready_external_over_100ms: external.probes.filter((x) => x.ms > 100).length,
      ready_external_prober_loop_ms: { p99: round1(external.loop.p99), max: round1(external.loop.max) },
      ready_probe_port_ms: stats(probePortProbes.map((x) => x.ms)),
      ready_probe_port_not_200: probePortProbes.filter((x) => x.status !== 200).length,
      ready_probe_port_over_100ms: probePortProbes.filter((x) => x.ms > 100).length,
      health_samples_not_200: samples.filter((x) => x.health_status !== 200).map((x) => ({ at_ms: x.at_ms, status: x.health_status, database: x.database, health_ms: x.health_ms })),
      idle,
      samples,
      after_end: afterNow,
      after_2s: afterSettled,
      event_loop_p99_max_ms: during.length ? Math.max(...during.map((s) => s.event_loop_delay_ms.p99)) : null,
      event_loop_max_ms: during.length ? Math.max(...during.map((s) => s.event_loop_delay_ms.max)) : null,
      health_response_ms_max: during.length ? Math.max(...during.map((s) => s.health_ms)) : null,
      peak_rss_mb: peakRss,
      peak_heap_used_mb: peakHeap,
      rss_kb_per_stream: idle ? round1(((peakRss - idle.rss_mb) * 1024) / CFG.b.streams) : null,
      heap_kb_per_stream: idle ? round1(((peakHeap - idle.heap_used_mb) * 1024) / CFG.b.streams) : null,
      bench_process_event_loop_ms: bBenchLoop,
    };

    summary.fake_model = { requests: fake.requests, unmatched: fake.unmatched, errors: fake.errors.slice(0, 5) };
    ok = true;
  } finally {
    const stopped = await stopChild(10_000).catch((error) => ({ error: String(error) }));
    summary.server_stop = stopped;
    await fake.stop().catch(() => undefined);
    benchLoop.disable();
    summary.server_log = scanLog(logFile);
    hardCleanup();
    const problems = !ok || summary.server_log.error_lines > 0 || summary.server_log.other_lines > 0 || (summary.scenario_a?.failures ?? 0) > 0 || (summary.scenario_b?.failures ?? 0) > 0;
    if (problems) keepLog = true;
    if (keepLog) log(`server log kept: ${logFile}`);
    else rmSync(tmp, { recursive: true, force: true });
    summary.loadavg_end = os.loadavg().map((x) => round1(x));
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    if (ok) process.stdout.write(`\n${table(summary)}\n`);
  }
}

function table(s) {
  const a = s.scenario_a;
  const b = s.scenario_b;
  const f = (st) => `${st.p50} / ${st.p95} / ${st.p99} / ${st.max}`;
  const lines = [
    '| scenario | streams ok / failed | added first-token latency p50 / p95 / p99 / max | time to first chunk p50 / p95 / p99 / max | request → model first token p50 / p99 | stream total p50 / p99 | model last token → client `done` p50 / p99 | server CPU per stream (utilisation) | DB transactions per stream |',
    '|---|---|---|---|---|---|---|---|---|',
    `| A: ${CFG.a.streams} concurrent x ${CFG.a.rounds} rounds, ${CFG.a.tokens} tokens @ ${CFG.a.intervalMs} ms | ${a.ok} / ${a.failures} | ${f(a.added_first_token_ms)} ms | ${f(a.time_to_first_chunk_ms)} ms | ${a.request_to_model_first_token_ms.p50} / ${a.request_to_model_first_token_ms.p99} ms | ${a.stream_total_ms.p50} / ${a.stream_total_ms.p99} ms | ${a.model_end_to_done_ms.p50} / ${a.model_end_to_done_ms.p99} ms | ${a.server_cpu_ms_per_stream} ms (${a.server_cpu_utilisation_pct} %) | ${a.db_transactions_per_stream} |`,
    `| B: ${CFG.b.streams} concurrent, ${CFG.b.tokens} tokens @ ${CFG.b.intervalMs} ms | ${b.ok} / ${b.failures} | ${f(b.added_first_token_ms)} ms | ${f(b.time_to_first_chunk_ms)} ms | ${b.request_to_model_first_token_ms.p50} / ${b.request_to_model_first_token_ms.p99} ms | ${b.stream_total_ms.p50} / ${b.stream_total_ms.p99} ms | ${b.model_end_to_done_ms.p50} / ${b.model_end_to_done_ms.p99} ms | ${b.server_cpu_ms_per_stream} ms (${b.server_cpu_utilisation_pct} %) | ${b.db_transactions_per_stream} |`,
    '',
    `Scenario A added latency, split: while other streams of the round were still being set up (before their model call) ${f(a.added_when_other_streams_still_in_setup_ms)} ms (n=${a.added_when_other_streams_still_in_setup_ms.n}); once all had reached the model ${f(a.added_when_all_streams_past_setup_ms)} ms (n=${a.added_when_all_streams_past_setup_ms.n}). Server event loop over scenario A (raw): p50 ${a.server_event_loop_over_run_ms?.p50} / p99 ${a.server_event_loop_over_run_ms?.p99} / max ${a.server_event_loop_over_run_ms?.max} ms. Bench process event loop: p99 ${a.bench_process_event_loop_ms.p99} / max ${a.bench_process_event_loop_ms.max} ms.`,
    '',
    '| scenario B process | value |',
    '|---|---|',
    `| idle: rss / heap used | ${b.idle?.rss_mb} MB / ${b.idle?.heap_used_mb} MB (event-loop p99 ${b.idle?.event_loop_delay_ms?.p99} ms) |`,
    `| peak during run: rss / heap used | ${b.peak_rss_mb} MB / ${b.peak_heap_used_mb} MB |`,
    `| per stream: rss / heap | ${b.rss_kb_per_stream} KB / ${b.heap_kb_per_stream} KB |`,
    `| event-loop delay during run: max p99 / max (raw, includes the 10 ms sampling interval) | ${b.event_loop_p99_max_ms} ms / ${b.event_loop_max_ms} ms |`,
    `| /api/health during run: slowest answer, non-200 samples | ${b.health_response_ms_max} ms, ${b.health_samples_not_200.length} of ${b.samples.length} |`,
    `| /api/ready during run: non-200 samples | ${b.ready_samples_not_200} of ${b.samples.length} |`,
    `| /api/ready probe every ${READY_PROBE_MS} ms: latency p50 / p99 / max, non-200, over 100 ms | ${b.ready_probe_ms.p50} / ${b.ready_probe_ms.p99} / ${b.ready_probe_ms.max} ms, ${b.ready_probes_not_200} of ${b.ready_probe_ms.n}, ${b.ready_probes_over_100ms} of ${b.ready_probe_ms.n} |`,
    `| /api/ready probe every ${READY_PROBE_MS} ms from a separate process: latency p50 / p99 / max, non-200, over 100 ms (prober's own loop p99 / max) | ${b.ready_external_probe_ms.p50} / ${b.ready_external_probe_ms.p99} / ${b.ready_external_probe_ms.max} ms, ${b.ready_external_not_200} of ${b.ready_external_probe_ms.n}, ${b.ready_external_over_100ms} of ${b.ready_external_probe_ms.n} (${b.ready_external_prober_loop_ms.p99} / ${b.ready_external_prober_loop_ms.max} ms) |`,
    `| HEALTH_PORT /api/ready probe every ${READY_PROBE_MS} ms from a separate process: latency p50 / p99 / max, non-200, over 100 ms | ${b.ready_probe_port_ms.p50} / ${b.ready_probe_port_ms.p99} / ${b.ready_probe_port_ms.max} ms, ${b.ready_probe_port_not_200} of ${b.ready_probe_port_ms.n}, ${b.ready_probe_port_over_100ms} of ${b.ready_probe_port_ms.n} |`,
    `| 2 s after: rss / heap used | ${b.after_2s?.rss_mb} MB / ${b.after_2s?.heap_used_mb} MB |`,
  ];
  return lines.join('\n');
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
