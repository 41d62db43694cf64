import { JwtService } from '@nestjs/jwt';
import { Client } from 'pg';
import { createTestApp, testDatabaseUrl, TestApp } from '../helpers/app';
import { bearer, createUser, uniqueUserInput } from '../helpers/users';

const GRACE_SECONDS = 5;
const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

describe('Local sign-in hardening', () => {
  let sut: TestApp;
  let db: Client;
  const adminListed = uniqueUserInput('listed');

  beforeAll(async () => {
    sut = await createTestApp({
      ADMIN_EMAILS: adminListed.email,
      ALLOWED_EMAIL_DOMAINS: 'example.com',
      REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS),
    });
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  const refresh = (token: string) => sut.http().post('/api/v1/auth/refresh').send({ refresh_token: token });
  const me = (token: string) => sut.http().get('/api/v1/auth/me').set(bearer(token));

  describe('roles never come from an unverified email', () => {
    it('ADMIN_EMAILS does not make a local account admin, at registration or at login', async () => {
      const user = await createUser(sut, adminListed);
      expect(user.roles).toEqual(['user']);
      const login = await sut.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password }).expect(200);
      expect(login.body.data.user.roles).toEqual(['user']);
      await sut.http().get('/api/v1/admin/users').set(bearer(login.body.data.access_token)).expect(403);
    });
  });

  describe('registration', () => {
    it('applies ALLOWED_EMAIL_DOMAINS to local registration', async () => {
      const outsider = { ...uniqueUserInput(), email: `squatter${Date.now()}@contoso.com` };
      const res = await sut.http().post('/api/v1/auth/register').send(outsider).expect(403);
      expect(res.body.error.code).toBe('ACCESS_DENIED');
      await createUser(sut);
    });
  });

  describe('refresh families', () => {
    it('logout racing a refresh never revives the sign-in', async () => {
      for (let attempt = 0; attempt < 15; attempt++) {
        const user = await createUser(sut);
        const [rotated] = await Promise.all([
          refresh(user.refreshToken),
          sut.http().post('/api/v1/auth/logout').set(bearer(user.accessToken)),
        ]);
        if (rotated.status === 200) {
          await refresh(rotated.body.data.refresh_token).expect(401);
          await me(rotated.body.data.access_token).expect(401);
        }
        const live = await db.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`, [user.id]);
        expect(live.rows[0].n).toBe(0);
      }
    });

    it('a refresh token reused inside the grace window answers the same successor: no second branch', async () => {
      const user = await createUser(sut);
      const first = (await refresh(user.refreshToken).expect(200)).body.data;
      const second = (await refresh(user.refreshToken).expect(200)).body.data;
      expect(second.refresh_token).toBe(first.refresh_token);
      const [concurrentA, concurrentB] = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token)]);
      expect(concurrentA.body.data.refresh_token).toBe(concurrentB.body.data.refresh_token);
      const live = await db.query(
        `SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL AND used_at IS NULL`,
        [user.id],
      );
      expect(live.rows[0].n).toBe(1);
      await me(second.access_token).expect(200);
    });
  });

  describe('access tokens', () => {
    const sign = (claims: Record<string, unknown>, options: { noTimestamp?: boolean } = {}) =>
      new JwtService().sign(claims, { secret: sut.config.auth.jwtSecret, algorithm: 'HS256', ...options });

    it('a token without exp is refused', async () => {
      const user = await createUser(sut);
      const claims = decode(user.accessToken);
      delete claims.exp;
      const res = await me(sign(claims)).expect(401);
      expect(res.body.error.code).toBe('AUTHENTICATION_REQUIRED');
    });

    it('a token without iat is refused', async () => {
      const user = await createUser(sut);
      const claims = decode(user.accessToken);
      delete claims.iat;
      await me(sign(claims, { noTimestamp: true })).expect(401);
    });
  });

  describe('token responses', () => {
    it('login, register and refresh answer Cache-Control: no-store', async () => {
      const input = uniqueUserInput();
      const registered = await sut.http().post('/api/v1/auth/register').send(input).expect(201);
      expect(registered.headers['cache-control']).toBe('no-store');
      const login = await sut.http().post('/api/v1/auth/login').send({ username: input.username, password: input.password }).expect(200);
      expect(login.headers['cache-control']).toBe('no-store');
      const refreshed = await refresh(login.body.data.refresh_token).expect(200);
      expect(refreshed.headers['cache-control']).toBe('no-store');
    });
  });

  describe('cookie-mode sign-in from another site (login CSRF)', () => {
    const cookieLogin = (user: { username: string; password: string }) =>
      sut.http().post('/api/v1/auth/login').type('form').send({ username: user.username, password: user.password, set_cookies: 'true' });

    it('is refused from a foreign Origin or a cross-site Sec-Fetch-Site', async () => {
      const user = await createUser(sut);
      const foreign = await cookieLogin(user).set('Origin', 'https://evil.example').expect(403);
      expect(foreign.body.error.code).toBe('CSRF_FAILED');
      expect(foreign.headers['set-cookie']).toBeUndefined();
      await cookieLogin(user).set('Sec-Fetch-Site', 'cross-site').expect(403);
      await sut.http().post('/api/v1/auth/refresh').set('Origin', 'https://evil.example').send({ refresh_token: user.refreshToken, set_cookies: true }).expect(403);
    });

    it('is accepted from a CORS_ORIGINS app, our own origin and non-browser clients', async () => {
      const user = await createUser(sut);
      await cookieLogin(user).set('Origin', 'http://localhost:5173').expect(200);
      await cookieLogin(user).set('Origin', sut.url).set('Sec-Fetch-Site', 'same-origin').expect(200);
      await cookieLogin(user).expect(200);
    });
  });
});

describe('Local registration switched off', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp({ ALLOW_LOCAL_REGISTRATION: 'false' });
  });
  afterAll(() => sut.close());

  it('ALLOW_LOCAL_REGISTRATION=false refuses registration with ACCESS_DENIED', async () => {
    const res = await sut.http().post('/api/v1/auth/register').send(uniqueUserInput()).expect(403);
    expect(res.body.error.code).toBe('ACCESS_DENIED');
  });
});
