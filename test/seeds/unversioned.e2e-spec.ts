import { createTestApp, TestApp } from '../helpers/app';
import { bearer, createUser, TestUser } from '../helpers/users';

/** Seed 003's clients call /api/sessions: every route answers with and without /v1. */
describe('Unversioned routes', () => {
  let sut: TestApp;
  let alice: TestUser;

  beforeAll(async () => {
    sut = await createTestApp();
    alice = await createUser(sut);
  });
  afterAll(() => sut.close());

  it('serves /api/sessions as /api/v1/sessions, same envelope, same data', async () => {
    const created = await sut.http().post('/api/sessions').set(bearer(alice.accessToken)).send({ name: 'Unversioned' }).expect(201);
    expect(created.body).toMatchObject({ status: true, message: 'Session created successfully', data: { name: 'Unversioned' } });
    const viaV1 = await sut.http().get(`/api/v1/sessions/${created.body.data.id}`).set(bearer(alice.accessToken)).expect(200);
    const plain = await sut.http().get(`/api/sessions/${created.body.data.id}`).set(bearer(alice.accessToken)).expect(200);
    expect(plain.body.data).toEqual(viaV1.body.data);
  });

  it('keeps auth, errors and unknown paths the same without the version', async () => {
    const denied = await sut.http().get('/api/sessions').expect(401);
    expect(denied.body).toMatchObject({ status: false, error: { code: 'AUTHENTICATION_REQUIRED' } });
    await sut.http().get('/api/nothing-here').set(bearer(alice.accessToken)).expect(404);
    await sut.http().get('/api/health').expect(200);
  });

  it('lists each path once in the spec, under /api/v1', async () => {
    const spec = await sut.http().get('/api/docs-json').expect(200);
    expect(Object.keys(spec.body.paths)).toContain('/api/v1/sessions');
    expect(Object.keys(spec.body.paths)).not.toContain('/api/sessions');
    expect(spec.body.paths['/api/v1/auth/login'].post.operationId).toBe('AuthController_login_v1');
  });
});
