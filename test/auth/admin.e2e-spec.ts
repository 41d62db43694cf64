import { createTestApp, TestApp } from '../helpers/app';
import { bearer, createAdmin, createUser, TestUser } from '../helpers/users';

describe('Admin: users', () => {
  let sut: TestApp;
  let admin: TestUser;
  beforeAll(async () => {
    sut = await createTestApp();
    admin = await createAdmin(sut);
  });
  afterAll(() => sut.close());

  it('npm run admin:grant makes an account admin, effective on its current token', async () => {
    const res = await sut.http().get('/api/v1/auth/me').set(bearer(admin.accessToken)).expect(200);
    expect(res.body.data.roles).toEqual(['user', 'admin']);
  });

  it('lists users with pagination and search', async () => {
    const target = await createUser(sut);
    const res = await sut.http().get('/api/v1/admin/users').query({ q: target.username, limit: 5 }).set(bearer(admin.accessToken)).expect(200);
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0]).toMatchObject({ id: target.id, email: target.email });
    expect(res.body.pagination).toEqual({ total: 1, limit: 5, offset: 0, has_more: false });

    const page = await sut.http().get('/api/v1/admin/users').query({ limit: 1 }).set(bearer(admin.accessToken)).expect(200);
    expect(page.body.pagination.has_more).toBe(true);
    await sut.http().get('/api/v1/admin/users').query({ limit: 500 }).set(bearer(admin.accessToken)).expect(422);
  });

  it('refuses non-admins with ACCESS_DENIED', async () => {
    const user = await createUser(sut);
    const res = await sut.http().get('/api/v1/admin/users').set(bearer(user.accessToken)).expect(403);
    expect(res.body.error.code).toBe('ACCESS_DENIED');
    await sut.http().patch(`/api/v1/admin/users/${user.id}`).set(bearer(user.accessToken)).send({ roles: ['admin'] }).expect(403);
  });

  it('disabling a user ends their access within one request, and their sign-in', async () => {
    const user = await createUser(sut);
    await sut.http().get('/api/v1/auth/me').set(bearer(user.accessToken)).expect(200);

    const res = await sut.http().patch(`/api/v1/admin/users/${user.id}`).set(bearer(admin.accessToken)).send({ disabled: true }).expect(200);
    expect(res.body.data.disabled).toBe(true);

    await sut.http().get('/api/v1/auth/me').set(bearer(user.accessToken)).expect(401);
    await sut.http().post('/api/v1/auth/refresh').send({ refresh_token: user.refreshToken }).expect(401);
    const login = await sut.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password }).expect(403);
    expect(login.body.error.code).toBe('ACCESS_DENIED');

    await sut.http().patch(`/api/v1/admin/users/${user.id}`).set(bearer(admin.accessToken)).send({ disabled: false }).expect(200);
    await sut.http().post('/api/v1/auth/login').send({ username: user.username, password: user.password }).expect(200);
  });

  it('changes roles; a promoted user has admin access on the next request', async () => {
    const user = await createUser(sut);
    const res = await sut.http().patch(`/api/v1/admin/users/${user.id}`).set(bearer(admin.accessToken)).send({ roles: ['admin'] }).expect(200);
    expect(res.body.data.roles).toEqual(['user', 'admin']);
    await sut.http().get('/api/v1/admin/users').set(bearer(user.accessToken)).expect(200);
  });

  it('refuses an admin disabling themselves, unknown roles and unknown users', async () => {
    await sut.http().patch(`/api/v1/admin/users/${admin.id}`).set(bearer(admin.accessToken)).send({ disabled: true }).expect(409);
    await sut.http().patch(`/api/v1/admin/users/${admin.id}`).set(bearer(admin.accessToken)).send({ roles: ['root'] }).expect(422);
    const missing = await sut
      .http()
      .patch('/api/v1/admin/users/00000000-0000-4000-8000-000000000000')
      .set(bearer(admin.accessToken))
      .send({ disabled: true })
      .expect(404);
    expect(missing.body.error.code).toBe('RESOURCE_NOT_FOUND');
    await sut.http().patch('/api/v1/admin/users/not-a-uuid').set(bearer(admin.accessToken)).send({}).expect(404);
  });
});
