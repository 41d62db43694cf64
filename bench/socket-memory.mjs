// Memory per idle Socket.IO connection: the built server's RSS (from /proc) and heap (from
// /api/health details, after a GC where exposed) before and after opening N idle connections
// (default 2,000; 5 per user, the per-user cap, so N/5 users are registered first).
// Usage: node bench/socket-memory.mjs [connections]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBenchDatabase, freePort, logProblems, markdownTable, run, serverEnv, startProcess, stopProcess, tempDir, waitFor200 } from './lib.mjs';
import { openMany, registerUsers } from './socket-common.mjs';

const CONNECTIONS = Number(process.argv[2] ?? 2000);
const PER_USER = 5;

const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

run(async () => {
  const db = createBenchDatabase();
  const { dir } = tempDir('bench-socket-memory-');
  const logFile = path.join(dir, 'server.log');
  const port = await freePort();
  const proc = startProcess({ env: serverEnv(port, { DATABASE_URL: db.url, LOG_LEVEL: 'warn' }), logFile });
  let sockets = [];
  try {
    await waitFor200(proc, `${proc.url}/api/ready`);
    const tokens = await registerUsers(proc.url, Math.ceil(CONNECTIONS / PER_USER));
    // One warm-up connection so Socket.IO's lazy structures exist before the baseline.
    (await openMany(proc.url, tokens.slice(0, 1), 1))[0].disconnect();
    await sleep(2000);
    const before = rssKb(proc.child.pid);
    const openedAt = performance.now();
    sockets = await openMany(proc.url, tokens, PER_USER);
    const openMs = performance.now() - openedAt;
    await sleep(5000); // idle, past a session-check interval
    const after = rssKb(proc.child.pid);
    const perConnKb = (after - before) / sockets.length;
    const result = { connections: sockets.length, open_ms: Math.round(openMs), rss_before_mb: +(before / 1024).toFixed(1), rss_after_mb: +(after / 1024).toFixed(1), rss_per_connection_kb: +perConnKb.toFixed(1) };
    console.log(JSON.stringify(result, null, 2));
    console.log(markdownTable([result]));
    const problems = logProblems(logFile);
    if (problems.length) console.log('server log problems:', problems);
  } finally {
    for (const socket of sockets) socket.disconnect();
    await stopProcess(proc);
    db.drop();
  }
});
