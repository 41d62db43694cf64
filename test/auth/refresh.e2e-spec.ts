import { createTestApp, TestApp } from '../helpers/app';
import { bearer, createUser } from '../helpers/users';

const GRACE_SECONDS = 1;

describe('Refresh rotation and logout', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp({ REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS) });
  });
  afterAll(() => sut.close());

  const refresh = (token: string) => sut.http().post('/api/v1/auth/refresh').send({ refresh_token: token });
  const me = (token: string) => sut.http().get('/api/v1/auth/me').set(bearer(token));
  const pastGrace = () => new Promise((resolve) => setTimeout(resolve, GRACE_SECONDS * 1000 + 300));

  it('rotates: answers in the login shape with a new refresh token', async () => {
    const user = await createUser(sut);
    const res = await refresh(user.refreshToken).expect(200);
    expect(res.body.data).toMatchObject({ token_type: 'bearer', expires_in: 900, user: { id: user.id } });
    expect(res.body.data.refresh_token).not.toBe(user.refreshToken);
    await me(res.body.data.access_token).expect(200);
    await refresh(res.body.data.refresh_token).expect(200);
  });

  it('two concurrent refreshes of one token both leave the user signed in', async () => {
    const user = await createUser(sut);
    const [a, b] = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await me(a.body.data.access_token).expect(200);
    await me(b.body.data.access_token).expect(200);
    await refresh(a.body.data.refresh_token).expect(200);
    await refresh(b.body.data.refresh_token).expect(200);
  });

  it('a token reused after the grace window revokes its whole family', async () => {
    const user = await createUser(sut);
    const rotated = (await refresh(user.refreshToken).expect(200)).body.data;
    await pastGrace();

    const reuse = await refresh(user.refreshToken).expect(401);
    expect(reuse.body.error.code).toBe('AUTHENTICATION_REQUIRED');
    // The thief's copy and the legitimate successor are both dead now, access tokens included.
    await refresh(rotated.refresh_token).expect(401);
    await me(rotated.access_token).expect(401);
    await me(user.accessToken).expect(401);
  });

  it('a reuse in one sign-in leaves the user’s other sign-ins alone', async () => {
    const user = await createUser(sut);
    const other = (await sut.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password })).body.data;
    await refresh(user.refreshToken).expect(200);
    await pastGrace();
    await refresh(user.refreshToken).expect(401);
    await me(other.access_token).expect(200);
    await refresh(other.refresh_token).expect(200);
  });

  it('logout ends the sign-in: its access and refresh tokens stop working at once', async () => {
    const user = await createUser(sut);
    const res = await sut.http().post('/api/v1/auth/logout').set(bearer(user.accessToken)).expect(200);
    expect(res.body).toEqual({ status: true, data: null, message: 'Successfully logged out' });
    await me(user.accessToken).expect(401);
    await refresh(user.refreshToken).expect(401);
  });

  it('refuses an unknown refresh token, and a missing one', async () => {
    await refresh('made-up-token').expect(401);
    const res = await sut.http().post('/api/v1/auth/refresh').send({}).expect(401);
    expect(res.body.error.code).toBe('AUTHENTICATION_REQUIRED');
  });
});
