// Readiness as an orchestrator sees it, from a process of its own (so the bench's busy event
// loop does not inflate the figures): GET <url>/api/ready every <intervalMs> until stdin closes
// or SIGTERM, then one JSON line on stdout: {probes: [{status, ms}], loop: {p99, max}} (ms).
// Usage: node bench/ready-probe.mjs http://127.0.0.1:3000 100
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const [base, every = '100'] = process.argv.slice(2);
const intervalMs = Number(every);
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const probes = [];
let stop = false;
process.on('SIGTERM', () => (stop = true));
process.stdin.on('end', () => (stop = true));
process.stdin.resume();

const probe = () =>
  new Promise((resolve) => {
    const started = performance.now();
    const req = http.get(new URL('/api/ready', base), { agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
  });

while (!stop) {
  probes.push(await probe());
  await sleep(intervalMs);
}
process.stdout.write(`${JSON.stringify({ probes, loop: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } })}\n`);
process.exit(0);
