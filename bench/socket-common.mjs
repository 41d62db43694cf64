// Shared by the socket benches: register users, open authenticated sockets on the namespace.
import { io } from 'socket.io-client';

export const NAMESPACE = '/assistant/realtime';

export async function registerUsers(baseUrl, count, concurrency = 16) {
  const tokens = [];
  let next = 0;
  const tag = Date.now().toString(36);
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${baseUrl}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: `rt${tag}${i}@example.com`, username: `rt${tag}${i}`, password: 'correct horse battery' }),
        signal: AbortSignal.timeout(30_000),
      });
      if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
      tokens[i] = (await res.json()).data.access_token;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return tokens;
}

/** Opens one websocket-only connection; rejects on connect_error or after timeoutMs. */
export function openSocket(baseUrl, token, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    const socket = io(`${baseUrl}${NAMESPACE}`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    const timer = setTimeout(() => {
      socket.disconnect();
      reject(new Error('connect timeout'));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (error) => {
      clearTimeout(timer);
      socket.disconnect();
      reject(new Error(`connect_error ${error.data?.code ?? error.message}`));
    });
  });
}

export async function openMany(baseUrl, tokens, perToken, concurrency = 50) {
  const jobs = tokens.flatMap((token) => Array.from({ length: perToken }, () => token));
  const sockets = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) sockets.push(await openSocket(baseUrl, jobs[next++]));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return sockets;
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
