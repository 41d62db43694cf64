// Server RSS over many streamed replies (issue 15: <= 300 MiB after 3,000, flat to 10,000).
//
//   npm run build && node bench/rss-soak.mjs
//
// The server runs as the container image runs it: `npm start`'s node flags, MALLOC_ARENA_MAX=2
// (BENCH_MALLOC_ARENA_MAX; empty: unset, as plain `npm start`) and HEALTH_PORT set as the
// deployment files set it (BENCH_HEALTH_PORT=0: off). BENCH_CONCURRENCY (20) closed-loop clients
// drive BENCH_REPLIES (10000) replies of the peer kit's request path (a new conversation, then a
// streamed BENCH_TOKENS-token reply, BENCH_TOKEN_DELAY_MS apart); VmRSS is read from /proc
// every BENCH_SAMPLE_EVERY (1000) replies. Prints JSON and a markdown table.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBenchDatabase, freePort, run, serverEnv, startProcess, stopProcess, tempDir, waitFor200 } from './lib.mjs';
import { closedLoop, mockModelEnv, register, startMock } from './reply-client.mjs';

const num = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const CFG = {
  replies: num('BENCH_REPLIES', 10_000),
  sampleEvery: num('BENCH_SAMPLE_EVERY', 1000),
  concurrency: num('BENCH_CONCURRENCY', 20),
  tokens: num('BENCH_TOKENS', 20),
  tokenDelayMs: num('BENCH_TOKEN_DELAY_MS', 5),
  mallocArenaMax: process.env.BENCH_MALLOC_ARENA_MAX ?? '2',
  healthPort: process.env.BENCH_HEALTH_PORT !== '0',
};
const log = (...args) => process.stderr.write(`[rss-soak] ${args.join(' ')}\n`);
const rssMiB = (pid) => Math.round(Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024);

run(async () => {
  const mock = await startMock(CFG);
  const db = createBenchDatabase();
  const tmp = tempDir('rss-soak-');
  const port = await freePort();
  const env = serverEnv(port, {
    DATABASE_URL: db.url,
    ...mockModelEnv(mock),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    ...(CFG.mallocArenaMax ? { MALLOC_ARENA_MAX: CFG.mallocArenaMax } : {}),
    ...(CFG.healthPort ? { HEALTH_PORT: String(await freePort()) } : {}),
  });
  if (!CFG.mallocArenaMax) delete env.MALLOC_ARENA_MAX;
  const proc = startProcess({ env, logFile: path.join(tmp.dir, 'server.log') });
  await waitFor200(proc, `${proc.url}/api/ready`);
  const token = await register(proc.url);
  await sleep(2000);
  const pid = proc.child.pid;
  const samples = [{ replies: 0, rss_mib: rssMiB(pid), s: 0 }];
  const started = performance.now();
  let done = 0;
  await closedLoop(proc.url, token, CFG.replies, CFG.concurrency, CFG.tokens, () => {
    done++;
    if (done % CFG.sampleEvery === 0) {
      samples.push({ replies: done, rss_mib: rssMiB(pid), s: Math.round((performance.now() - started) / 1000) });
      log(`${done} replies, RSS ${samples.at(-1).rss_mib} MiB`);
    }
  });
  await sleep(2000);
  const settled = rssMiB(pid);
  await stopProcess(proc);
  db.drop();

  const at = (n) => samples.find((s) => s.replies >= n) ?? samples.at(-1);
  const from = at(Math.min(3000, CFG.replies));
  const to = samples.at(-1);
  const summary = {
    node: process.version,
    loadavg: os.loadavg().map((x) => Math.round(x * 10) / 10),
    config: CFG,
    replies_per_s: Math.round((CFG.replies / ((performance.now() - started) / 1000)) * 10) / 10,
    samples,
    rss_mib_2s_after: settled,
    growth_kib_per_reply_after_3000: to.replies > from.replies ? Math.round((((to.rss_mib - from.rss_mib) * 1024) / (to.replies - from.replies)) * 100) / 100 : null,
  };
  console.log(JSON.stringify(summary, null, 2));
  console.log(`\n| replies | ${samples.map((s) => s.replies).join(' | ')} |\n|---|${samples.map(() => '---').join('|')}|\n| RSS MiB | ${samples.map((s) => s.rss_mib).join(' | ')} |`);
});
