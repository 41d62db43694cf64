// Cost of one streamed reply on the server (issue 15): server CPU per reply, stored event rows
// per reply, and the SQL statements sent before the first byte of POST /chat/message.
//
//   npm run build && node bench/reply-cost.mjs
//
// The request path is the peer kit's `ours` target: POST /chat/conversations, then
// POST /chat/message {stream: true, conversation_id} as one registered user, the model an
// OpenAI-compatible mock in this process streaming BENCH_TOKENS (20) content tokens
// BENCH_TOKEN_DELAY_MS (5) ms apart. Two server starts on one fresh database:
//  1. with bench/query-trace.cjs preloaded: BENCH_TRACE_REPLIES (5) replies one at a time; the
//     statements each POST /chat/message sent before its first byte (the last one listed);
//  2. plain: BENCH_WARMUP (40) replies, then BENCH_REPLIES (300) measured, BENCH_CONCURRENCY (10)
//     closed-loop clients; server CPU (/proc utime+stime) over the measured replies ÷ replies.
// Then rows in the event table ÷ replies. BENCH_NODE_ARGS: extra server flags.
// BENCH_PROFILE_DIR=/tmp/prof: a CPU profile of the measured replies only (bench/cpu-profile.cjs). BENCH_DIR: another built checkout to measure
// (default: this one), so two builds can be compared from one script.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuTimeMs, createBenchDatabase, freePort, run, serverEnv, startProcess, stopProcess, tempDir, waitFor200 } from './lib.mjs';
import { agent as clientAgent, closedLoop, mockModelEnv, register, reply, startMock } from './reply-client.mjs';

const num = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const CFG = {
  tokens: num('BENCH_TOKENS', 20),
  tokenDelayMs: num('BENCH_TOKEN_DELAY_MS', 5),
  traceReplies: num('BENCH_TRACE_REPLIES', 5),
  warmup: num('BENCH_WARMUP', 40),
  replies: num('BENCH_REPLIES', 300),
  concurrency: num('BENCH_CONCURRENCY', 10),
};
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.resolve(process.env.BENCH_DIR ?? path.join(here, '..'));
const log = (...args) => process.stderr.write(`[reply-cost] ${args.join(' ')}\n`);

function psql(db, sql) {
  return execFileSync('psql', ['-h', process.env.BENCH_PG_HOST ?? '127.0.0.1', '-U', process.env.BENCH_PG_USER ?? 'postgres', '-p', process.env.BENCH_PG_PORT ?? '5432', '-d', db, '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

run(async () => {
  const mock = await startMock(CFG);
  const db = createBenchDatabase();
  const tmp = tempDir('reply-cost-');
  const traceFile = path.join(tmp.dir, 'queries.jsonl');
  const port = await freePort();
  const env = serverEnv(port, {
    DATABASE_URL: db.url,
    ...mockModelEnv(mock),
    QUERY_TRACE_FILE: traceFile,
  });
  const script = path.join(dir, 'dist', 'src', 'main.js');
  const summary = { dir, node: process.version, loadavg_start: os.loadavg().map((x) => Math.round(x * 10) / 10), config: CFG };

  // 1. queries before the first byte
  let proc = startProcess({ script, env, logFile: path.join(tmp.dir, 'server-trace.log'), nodeArgs: ['--require', path.join(here, 'query-trace.cjs')] });
  await waitFor200(proc, `${proc.url}/api/ready`);
  const token = await register(proc.url);
  for (let i = 0; i < CFG.traceReplies; i++) {
    await reply(proc.url, token, CFG.tokens);
    await sleep(1500); // the previous reply's final writes and trace line come before the next request
  }
  await stopProcess(proc);
  const lines = readFileSync(traceFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  const traces = lines.filter((t) => t.method === 'POST' && t.url.startsWith('/api/v1/chat/message') && t.queries);
  const totals = lines.filter((t) => t.method === 'POST' && t.url.startsWith('/api/v1/chat/message') && t.after);
  const conversations = lines.filter((t) => t.method === 'POST' && t.url.startsWith('/api/v1/chat/conversations') && t.after);
  summary.queries_before_first_byte = traces.map((t) => t.queries.length);
  summary.queries_of_last = traces.at(-1)?.queries ?? [];
  summary.queries_per_message_request = totals.map((t) => t.total);
  summary.queries_after_first_byte_of_last = totals.at(-1)?.after ?? [];
  summary.queries_per_conversation_create = conversations.map((t) => t.total);

  // 2. CPU per reply
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const profileDir = process.env.BENCH_PROFILE_DIR;
  if (profileDir) nodeArgs.push('--require', path.join(here, 'cpu-profile.cjs'));
  env.CPU_PROFILE_DIR = profileDir ?? '';
  env.QUERY_TRACE_FILE = '';
  proc = startProcess({ script, env, logFile: path.join(tmp.dir, 'server.log'), nodeArgs });
  await waitFor200(proc, `${proc.url}/api/ready`);
  await closedLoop(proc.url, token, CFG.warmup, CFG.concurrency, CFG.tokens);
  await sleep(1000);
  // Background work (job polling, batched counters) costs CPU with no traffic; at the low
  // throughput of a loaded machine it would be charged to fewer replies, so it is reported apart.
  const idle0 = cpuTimeMs(proc.child.pid);
  await sleep(5000);
  const idleCpuPerSecond = (cpuTimeMs(proc.child.pid) - idle0) / 5;
  // The server drops a keep-alive connection idle for keepAliveTimeout + its buffer (5 + 1 s on
  // Node 24): about as long as this pause, so reusing one raced its close (ECONNRESET / socket
  // hang up). The measured replies start on fresh connections.
  clientAgent.destroy();
  if (profileDir) proc.child.kill('SIGUSR2');
  const cpu0 = cpuTimeMs(proc.child.pid);
  const t0 = performance.now();
  await closedLoop(proc.url, token, CFG.replies, CFG.concurrency, CFG.tokens);
  const wall = performance.now() - t0;
  await sleep(1000); // the last replies' final flushes
  const cpu = cpuTimeMs(proc.child.pid) - cpu0;
  if (profileDir) {
    proc.child.kill('SIGUSR2');
    await sleep(2000); // written synchronously on the server's next turn
  }
  const rss = Number(readFileSync(`/proc/${proc.child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
  await stopProcess(proc);

  const total = CFG.traceReplies + CFG.warmup + CFG.replies;
  const batched = psql(db.name, `SELECT to_regclass('message_event_batches') IS NOT NULL`) === 't';
  const rows = Number(psql(db.name, `SELECT count(*) FROM ${batched ? 'message_event_batches' : 'message_events'}`));
  Object.assign(summary, {
    loadavg_end: os.loadavg().map((x) => Math.round(x * 10) / 10),
    replies_per_s: Math.round((CFG.replies / wall) * 10000) / 10,
    server_cpu_ms_per_reply: Math.round((cpu / CFG.replies) * 100) / 100,
    server_idle_cpu_ms_per_s: Math.round(idleCpuPerSecond * 10) / 10,
    server_cpu_ms_per_reply_less_idle: Math.round(((cpu - (idleCpuPerSecond * (wall + 1000)) / 1000) / CFG.replies) * 100) / 100,
    server_rss_mib_after: Math.round(rss),
    event_table: batched ? 'message_event_batches' : 'message_events',
    event_rows_per_reply: Math.round((rows / total) * 100) / 100,
  });
  console.log(JSON.stringify(summary, null, 2));
  if (!existsSync(script)) throw new Error(`${script} missing`);
  db.drop();
});
