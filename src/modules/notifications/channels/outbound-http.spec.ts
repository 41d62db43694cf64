import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signWebhook } from './channels';
import { DeliveryError, postJson, publicOnlyLookup } from './outbound-http';

describe('postJson', () => {
  const hits: string[] = [];
  let base: string;
  const server = http.createServer((req, res) => {
    hits.push(req.url!);
    if (req.url === '/redirect') return void res.writeHead(302, { Location: '/target' }).end();
    if (req.url === '/gone') return void res.writeHead(410).end();
    if (req.url === '/slow') return; // never answers
    res.writeHead(204).end();
  });
  const local = { timeoutMs: 2000, allowPrivate: true, httpsOnly: false };
  const strict = { timeoutMs: 2000, allowPrivate: false, httpsOnly: true };

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const failure = (promise: Promise<unknown>) => promise.then(() => null, (error: DeliveryError) => ({ message: error.message, permanent: error.permanent }));

  it('posts when allowed, and refuses http and private addresses otherwise (permanently)', async () => {
    await expect(postJson(`${base}/ok`, '{}', {}, local)).resolves.toBe(204);
    expect(await failure(postJson(`${base}/ok`, '{}', {}, strict))).toEqual({ message: 'the URL must be an https URL', permanent: true });
    expect(await failure(postJson('https://127.0.0.1/ok', '{}', {}, strict))).toEqual({ message: 'the URL must point to a public address', permanent: true });
    expect(await failure(postJson('https://[::1]/ok', '{}', {}, strict))).toEqual({ message: 'the URL must point to a public address', permanent: true });
    expect(await failure(postJson('https://localhost/ok', '{}', {}, strict))).toEqual({ message: 'the URL must point to a public address', permanent: true });
    // Production is https-only even when private addresses are allowed.
    expect(await failure(postJson(`${base}/ok`, '{}', {}, { ...local, httpsOnly: true }))).toEqual({ message: 'the URL must be an https URL', permanent: true });
  });

  it('refuses a private address at connect time (DNS rebinding after the check)', async () => {
    const error = await new Promise<Error | null>((resolve) => publicOnlyLookup('localhost', { family: 0 }, (err) => resolve(err)));
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error!.message).toBe('the host resolves to a private address');
  });

  it('follows no redirect, gives up on a 4xx and times out as retryable', async () => {
    hits.length = 0;
    expect(await failure(postJson(`${base}/redirect`, '{}', {}, local))).toEqual({ message: 'HTTP 302', permanent: true });
    expect(hits).toEqual(['/redirect']);
    expect(await failure(postJson(`${base}/gone`, '{}', {}, local))).toEqual({ message: 'HTTP 410', permanent: true });
    const started = Date.now();
    expect(await failure(postJson(`${base}/slow`, '{}', {}, { ...local, timeoutMs: 200 }))).toEqual({ message: expect.stringMatching(/^(AbortError|TimeoutError)/), permanent: false });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe(signWebhook.name, () => {
  it('signs "t.body" with HMAC-SHA256 under the timestamp it names', () => {
    const body = '{"a":1}';
    const expected = createHmac('sha256', 'secret').update(`1700000000.${body}`).digest('hex');
    expect(signWebhook('secret', body, 1_700_000_000)).toBe(`t=1700000000,v1=${expected}`);
  });
});
