// Uploads stream, they are not buffered: the built server's RSS (from /proc, sampled every
// 10 ms) while N concurrent uploads of 10 MB each (default 10, one file per request, the
// per-request limit) go to the storage driver (local, or s3 against an s3rver started here, in
// this process: its memory is not the server's). Target: peak growth under 50 MB.
// Usage: node bench/upload-memory.mjs [uploads] [local|s3]
// Env: BENCH_NODE_ARGS (extra node flags, e.g. --trace-gc), BENCH_SERVER_LOG (copy the server log there).
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBenchDatabase, freePort, logProblems, markdownTable, run, serverEnv, startProcess, stopProcess, tempDir, waitFor200 } from './lib.mjs';

const UPLOADS = Number(process.argv[2] ?? 10);
const DRIVER = process.argv[3] ?? 'local';
const FILE_BYTES = 10_485_760;
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** s3rver (a dev dependency) on a free port with one bucket; the server's S3_* env for it. */
async function startS3(dir) {
  const { default: S3rver } = await import('s3rver');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(dir, 's3'), configureBuckets: [{ name: 'bench', configs: [] }] });
  const { port } = await server.run();
  const env = {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_BUCKET: 'bench',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
  };
  return { env, close: () => server.close() };
}

// 0 once the server has exited (a zombie has no VmRSS): the run then fails on its responses.
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

async function json(url, init) {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
  const body = await res.json();
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body.data;
}

run(async () => {
  const db = createBenchDatabase();
  const { dir } = tempDir('bench-upload-memory-');
  const logFile = path.join(dir, 'server.log');
  const port = await freePort();
  const s3 = DRIVER === 's3' ? await startS3(dir) : undefined;
  const env = serverEnv(port, {
    DATABASE_URL: db.url,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    STORAGE_DRIVER: 'local',
    FILE_STORAGE_DIR: path.join(dir, 'files'),
    UPLOAD_MAX_BYTES_PER_HOUR: String(FILE_BYTES * (UPLOADS * 2 + 1)),
    ...s3?.env,
  });
  const proc = startProcess({ env, logFile, nodeArgs: NODE_ARGS });
  proc.exited.then(({ code, signal }) => console.log(`server exited: code ${code}, signal ${signal}`));
  try {
    await waitFor200(proc, `${proc.url}/api/ready`);
    const account = { email: `bench${Date.now()}@example.com`, username: `bench${Date.now()}`, password: 'correct horse battery' };
    const { access_token: token } = await json(`${proc.url}/api/v1/auth/register`, { method: 'POST', body: JSON.stringify(account) });
    const auth = { authorization: `Bearer ${token}` };
    const conversation = await json(`${proc.url}/api/v1/chat/conversations`, { method: 'POST', headers: auth, body: '{}' });
    const url = `${proc.url}/api/v1/chat/conversations/${conversation.id}/files`;
    // One payload for every upload: building 20 x 10 MB bodies at the start of a round took long
    // enough on a loaded machine for the server to close the warm-up's idle keep-alive
    // connection just as fetch reused it (EPIPE).
    const payload = new Blob([Buffer.alloc(FILE_BYTES, 'a')], { type: 'text/plain' });
    const send = () => {
      const form = new FormData();
      form.append('files', payload, 'ten-megabytes.txt');
      return fetch(url, { method: 'POST', headers: auth, body: form }).catch((error) => {
        throw new Error(`upload failed: ${error.cause?.code ?? ''} ${error.cause?.message ?? error.message}`, { cause: error });
      });
    };
    // Warm-up: multer, the sniffer and the storage path are loaded before the baseline.
    const warm = await send();
    if (warm.status !== 201) throw new Error(`warm-up upload: ${warm.status} ${await warm.text()}`);
    await sleep(2000);

    const before = rssKb(proc.child.pid);
    // Two rounds: the first also grows the allocator's arenas (kept by glibc after use); the
    // second shows whether memory keeps growing with the bytes that passed through.
    const rounds = [];
    for (let round = 1; round <= 2; round++) {
      let peak = rssKb(proc.child.pid);
      const sampler = setInterval(() => (peak = Math.max(peak, rssKb(proc.child.pid))), 10);
      const startedAt = performance.now();
      const responses = await Promise.all(Array.from({ length: UPLOADS }, send));
      const elapsedMs = performance.now() - startedAt;
      clearInterval(sampler);
      const statuses = responses.map((res) => res.status);
      await Promise.all(responses.map((res) => res.text()));
      peak = Math.max(peak, rssKb(proc.child.pid));
      rounds.push({
        round,
        driver: DRIVER,
        uploads: UPLOADS,
        bytes_each: FILE_BYTES,
        all_201: statuses.every((status) => status === 201),
        elapsed_ms: Math.round(elapsedMs),
        rss_before_mb: +(before / 1024).toFixed(1),
        rss_peak_mb: +(peak / 1024).toFixed(1),
        rss_growth_mb: +((peak - before) / 1024).toFixed(1),
      });
      if (!statuses.every((status) => status === 201)) console.log('statuses:', statuses);
      await sleep(2000);
    }
    console.log(JSON.stringify(rounds, null, 2));
    console.log(markdownTable(rounds));
    // --trace-gc and the like print to stdout: lines that are not JSON log entries.
    const problems = logProblems(logFile).filter((line) => !NODE_ARGS.length || line.startsWith('{'));
    if (problems.length) console.log('server log problems:', problems);
  } finally {
    await stopProcess(proc);
    if (process.env.BENCH_SERVER_LOG) copyFileSync(logFile, process.env.BENCH_SERVER_LOG);
    await s3?.close();
    db.drop();
  }
});
