// Chunk fan-out latency: C clients (default 100) of one user in one conversation room; a local
// OpenAI-compatible server streams a reply whose every token is its own send time. Each client
// records (receive time - token send time): provider chunk written -> chunk received on the
// socket, i.e. the model client, reply runner and Socket.IO fan-out together. Loopback only,
// same clock. Usage: node bench/socket-latency.mjs [clients] [tokens]
import http from 'node:http';
import path from 'node:path';
import { createBenchDatabase, freePort, logProblems, markdownTable, run, serverEnv, startProcess, stopProcess, tempDir, waitFor200 } from './lib.mjs';
import { openSocket, percentile, registerUsers } from './socket-common.mjs';

const CLIENTS = Number(process.argv[2] ?? 100);
const TOKENS = Number(process.argv[3] ?? 200);
const TOKEN_GAP_MS = 10;
const now = () => performance.timeOrigin + performance.now();

/** Streams TOKENS chunks, each `<send time ms> `, TOKEN_GAP_MS apart. */
function fakeProvider() {
  const server = http.createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = JSON.parse(raw || '{}');
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    const send = (delta, finish = null) =>
      res.write(`data: ${JSON.stringify({ id: 'b', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    send({ role: 'assistant', content: '' });
    for (let i = 0; i < TOKENS && !res.destroyed; i++) {
      send({ content: `${now().toFixed(3)} ` });
      await new Promise((resolve) => setTimeout(resolve, TOKEN_GAP_MS));
    }
    send({}, 'stop');
    res.end('data: [DONE]\n\n');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

run(async () => {
  const provider = await fakeProvider();
  const db = createBenchDatabase();
  const { dir } = tempDir('bench-socket-latency-');
  const logFile = path.join(dir, 'server.log');
  const port = await freePort();
  const env = serverEnv(port, {
    DATABASE_URL: db.url,
    LOG_LEVEL: 'warn',
    OPENAI_BASE_URL: `http://127.0.0.1:${provider.address().port}/v1`,
    OPENAI_API_KEY: 'bench',
    DEFAULT_MODEL: 'openai:gpt-bench',
    REALTIME_MAX_CONNECTIONS_PER_USER: String(CLIENTS + 1),
  });
  const proc = startProcess({ env, logFile });
  const sockets = [];
  try {
    await waitFor200(proc, `${proc.url}/api/ready`);
    const [token] = await registerUsers(proc.url, 1, 1);
    for (let i = 0; i < CLIENTS; i++) sockets.push(await openSocket(proc.url, token));
    const created = await sockets[0].timeout(5000).emitWithAck('create_room', {});
    const roomId = created.data.room_id;
    await Promise.all(sockets.slice(1).map((s) => s.timeout(5000).emitWithAck('join_room', { room_id: roomId })));

    const samples = [];
    const finished = Promise.all(
      sockets.map(
        (socket) =>
          new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no done within 120 s')), 120_000);
            socket.on('chunk', (event) => {
              const at = now();
              for (const stamp of String(event.content).trim().split(/\s+/)) if (stamp) samples.push(at - Number(stamp));
            });
            socket.on('done', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
    const sent = await sockets[0].timeout(5000).emitWithAck('send_message', { room_id: roomId, message: 'stream' });
    if (!sent.ok) throw new Error(JSON.stringify(sent.error));
    await finished;
    samples.sort((a, b) => a - b);
    const result = {
      clients: CLIENTS,
      tokens: TOKENS,
      samples: samples.length,
      p50_ms: +percentile(samples, 50).toFixed(2),
      p95_ms: +percentile(samples, 95).toFixed(2),
      p99_ms: +percentile(samples, 99).toFixed(2),
      max_ms: +samples.at(-1).toFixed(2),
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(markdownTable([result]));
    const problems = logProblems(logFile);
    if (problems.length) console.log('server log problems:', problems);
  } finally {
    for (const socket of sockets) socket.disconnect();
    await stopProcess(proc);
    provider.close();
    db.drop();
  }
});
