import request from 'supertest';
import { createTestApp, TestApp } from '../helpers/app';
import { createUser } from '../helpers/users';

function cookiesOf(res: request.Response): Record<string, string> {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  return Object.fromEntries((header ?? []).map((line) => [line.split('=')[0], line]));
}

function cookieHeader(res: request.Response): string {
  return Object.values(cookiesOf(res))
    .map((line) => line.split(';')[0])
    .join('; ');
}

describe('Cookie mode', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp();
  });
  afterAll(() => sut.close());

  async function cookieLogin() {
    const user = await createUser(sut);
    const res = await sut.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password, set_cookies: true }).expect(200);
    return { user, res, cookie: cookieHeader(res), csrf: res.body.data.csrf_token as string };
  }

  it('sets HTTP-only token cookies and a readable CSRF cookie, and keeps tokens out of the body', async () => {
    const { res, csrf } = await cookieLogin();
    const cookies = cookiesOf(res);
    expect(cookies.access_token).toMatch(/HttpOnly/);
    expect(cookies.access_token).toMatch(/SameSite=Lax/);
    expect(cookies.refresh_token).toMatch(/HttpOnly/);
    expect(cookies.csrf_token).not.toMatch(/HttpOnly/);
    expect(cookies.csrf_token).toContain(`csrf_token=${csrf}`);
    expect(res.body.data.access_token).toBeUndefined();
    expect(res.body.data.refresh_token).toBeUndefined();
  });

  it('authenticates reads by cookie', async () => {
    const { user, cookie } = await cookieLogin();
    const res = await sut.http().get('/api/v1/auth/me').set('Cookie', cookie).expect(200);
    expect(res.body.data.id).toBe(user.id);
  });

  it('refuses a cookie-authenticated write without the CSRF header', async () => {
    const { cookie } = await cookieLogin();
    const res = await sut.http().post('/api/v1/auth/logout').set('Cookie', cookie).expect(403);
    expect(res.body.error.code).toBe('CSRF_FAILED');
    await sut.http().get('/api/v1/auth/me').set('Cookie', cookie).expect(200);
  });

  it('refuses a CSRF header that does not match the cookie', async () => {
    const { cookie } = await cookieLogin();
    const res = await sut.http().post('/api/v1/auth/logout').set('Cookie', cookie).set('X-CSRF-Token', 'forged').expect(403);
    expect(res.body.error.code).toBe('CSRF_FAILED');
  });

  it('refreshes from the cookie only with the CSRF header, and rotates the cookies', async () => {
    const { cookie, csrf } = await cookieLogin();
    await sut.http().post('/api/v1/auth/refresh').set('Cookie', cookie).send({}).expect(403);
    const res = await sut.http().post('/api/v1/auth/refresh').set('Cookie', cookie).set('X-CSRF-Token', csrf).send({}).expect(200);
    expect(cookiesOf(res).refresh_token).toBeDefined();
    expect(res.body.data.refresh_token).toBeUndefined();
  });

  it('logs out with the CSRF header and clears the cookies', async () => {
    const { cookie, csrf } = await cookieLogin();
    const res = await sut.http().post('/api/v1/auth/logout').set('Cookie', cookie).set('X-CSRF-Token', csrf).expect(200);
    expect(cookiesOf(res).access_token).toMatch(/Expires=Thu, 01 Jan 1970/);
    await sut.http().get('/api/v1/auth/me').set('Cookie', cookie).expect(401);
  });
});
