// The peer kit's `ours` request path, for the benches that drive streamed replies: an
// OpenAI-compatible mock model streaming `tokens` content deltas `tokenDelayMs` apart, and a
// closed loop of clients each creating a conversation and streaming one reply into it.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** The server settings that point it at the mock (and keep the daily token budget out of the way). */
export function mockModelEnv(mock) {
  return { OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: mock.url, DEFAULT_MODEL: 'openai:gpt-4o-mini', DEFAULT_MAX_TOKENS_PER_DAY: '1000000000' };
}

/** OpenAI chat completions, streamed: tokens content deltas, then usage, then [DONE]. */
export function startMock({ tokens, tokenDelayMs }) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const frame = (delta, extra = {}) =>
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
      res.write(frame({ role: 'assistant', content: '' }));
      for (let i = 0; i < tokens; i++) {
        await sleep(tokenDelayMs);
        res.write(frame({ content: i === tokens - 1 ? ` w${i}.` : ` w${i}` }));
      }
      res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 10, completion_tokens: tokens, total_tokens: 10 + tokens } })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/v1` })));
}

/** Keep-alive pool of the bench clients (destroy() it to start on fresh connections). */
export const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function request(base, method, url, token, body) {
  return new Promise((resolve, reject) => {
    const payload = body ? JSON.stringify(body) : undefined;
    const req = http.request(`${base}${url}`, { method, agent, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export async function reply(base, token, tokens) {
  const conv = await request(base, 'POST', '/api/v1/chat/conversations', token, { title: 'bench' });
  const id = JSON.parse(conv.text).data?.id;
  if (!id) throw new Error(`conversation: ${conv.status} ${conv.text.slice(0, 200)}`);
  const res = await request(base, 'POST', '/api/v1/chat/message', token, { message: 'hi', conversation_id: id, stream: true });
  const chunks = res.text.split('\n').filter((line) => line === 'event: chunk').length;
  if (res.status !== 200 || chunks !== tokens || !res.text.includes('"status":"complete"')) {
    throw new Error(`stream: ${res.status}, ${chunks} chunks: ${res.text.slice(0, 300)}`);
  }
}

export async function closedLoop(base, token, total, concurrency, tokens, onReply = () => undefined) {
  let next = 0;
  const client = async () => {
    while (next < total) {
      next++;
      await reply(base, token, tokens);
      onReply();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
}

/** Registers the bench user; returns its access token. */
export async function register(base) {
  const reg = await request(base, 'POST', '/api/v1/auth/register', null, { email: 'bench@example.com', username: 'bench_user', password: 'Bench-user-Passw0rd!' });
  const token = JSON.parse(reg.text).data?.access_token;
  if (!token) throw new Error(`register: ${reg.status} ${reg.text.slice(0, 200)}`);
  return token;
}
