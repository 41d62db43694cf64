import { randomBytes } from 'node:crypto';
import { createTestApp, TestApp } from '../helpers/app';
import { bearer, createUser } from '../helpers/users';

const login = (app: TestApp) => app.http().post('/api/v1/auth/login').send({ username: 'nobody', password: 'whatever' });

describe('Rate limits (in memory)', () => {
  let sut: TestApp;
  /** Same database, no limits: signs users up without spending the budget under test. */
  let signup: TestApp;

  beforeAll(async () => {
    sut = await createTestApp({ RATE_LIMIT_AUTH_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '4' });
    signup = await createTestApp();
  });
  afterAll(async () => {
    await sut.close();
    await signup.close();
  });

  it('limits auth routes per client IP, with headers and the 429 envelope', async () => {
    const first = await login(sut).expect(401);
    expect(first.headers['x-ratelimit-limit']).toBe('3');
    expect(first.headers['x-ratelimit-remaining']).toBe('2');
    // A Unix time (seed 003), within the one-minute window.
    const now = Date.now() / 1000;
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(now);
    expect(Number(first.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(Math.ceil(now) + 61);
    await login(sut).expect(401);
    await login(sut).expect(401);

    const limited = await login(sut).expect(429);
    expect(limited.body).toEqual({
      status: false,
      error: { code: 'RATE_LIMIT_EXCEEDED', message: expect.any(String) },
      request_id: expect.any(String),
    });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers).toMatchObject({ 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '0' });
    expect(Number(limited.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + Number(limited.headers['retry-after']) - 1);
    // register and refresh share the auth budget of this IP
    await sut.http().post('/api/v1/auth/refresh').send({ refresh_token: 'x' }).expect(429);
  });

  it('limits other routes per user, so one user cannot spend another’s budget', async () => {
    const [alice, bob] = (await Promise.all([createUser(signup), createUser(signup)])).map((user) => user.accessToken);
    for (let i = 0; i < 4; i += 1) await sut.http().get('/api/v1/auth/me').set(bearer(alice)).expect(200);
    const limited = await sut.http().get('/api/v1/auth/me').set(bearer(alice)).expect(429);
    expect(limited.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
    const other = await sut.http().get('/api/v1/auth/me').set(bearer(bob)).expect(200);
    expect(other.headers['x-ratelimit-remaining']).toBe('3');
  });

  it('never limits health probes', async () => {
    for (let i = 0; i < 6; i += 1) await sut.http().get('/api/live').expect(200);
  });
});

const redisUrl = process.env.TEST_REDIS_URL;
if (!redisUrl && process.env.CI === 'true') throw new Error('TEST_REDIS_URL must be set under CI');
// Without Redis on a developer machine this block is reported as skipped, never silently passed.
const describeWithRedis = redisUrl ? describe : describe.skip;

describeWithRedis('Rate limits shared through Redis', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const settings = { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: `test-${randomBytes(4).toString('hex')}:`, RATE_LIMIT_AUTH_PER_MINUTE: '4' };
    a = await createTestApp(settings);
    b = await createTestApp(settings);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('counts requests to two instances against one budget', async () => {
    await login(a).expect(401);
    await login(b).expect(401);
    await login(a).expect(401);
    const last = await login(b).expect(401);
    expect(last.headers['x-ratelimit-remaining']).toBe('0');
    await login(a).expect(429);
    await login(b).expect(429);
  });
});
