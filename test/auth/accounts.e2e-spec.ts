import { createTestApp, TestApp } from '../helpers/app';
import { bearer, createUser, uniqueUserInput } from '../helpers/users';

describe('Accounts: register, login, me', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp();
  });
  afterAll(() => sut.close());

  it('registers an account and answers tokens plus the user in the envelope', async () => {
    const input = uniqueUserInput();
    const res = await sut.http().post('/api/v1/auth/register').send({ ...input, email: input.email.toUpperCase(), name: 'Ada' }).expect(201);
    expect(res.body.status).toBe(true);
    expect(res.body.data).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 900,
      user: {
        id: expect.any(String),
        email: input.email,
        username: input.username,
        name: 'Ada',
        roles: ['user'],
        auth_provider: 'local',
        disabled: false,
        email_verified: false,
        created_at: expect.any(String),
      },
    });
    expect(res.text).not.toMatch(/password|hash/i);
  });

  it('refuses extra fields such as roles, and creates nothing', async () => {
    const input = uniqueUserInput();
    const res = await sut.http().post('/api/v1/auth/register').send({ ...input, roles: ['admin'] }).expect(422);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details.roles).toBeDefined();
    await sut.http().post('/api/v1/auth/login').send({ username: input.username, password: input.password }).expect(401);
  });

  it('validates fields with per-field details', async () => {
    const res = await sut.http().post('/api/v1/auth/register').send({ email: 'nope', username: 'a', password: 'short' }).expect(422);
    expect(Object.keys(res.body.error.details).sort()).toEqual(['email', 'password', 'username']);
  });

  it('answers CONFLICT for an email or username already taken, whatever the case', async () => {
    const user = await createUser(sut);
    const byEmail = await sut.http().post('/api/v1/auth/register').send({ ...uniqueUserInput(), email: user.email.toUpperCase() });
    expect(byEmail.status).toBe(409);
    expect(byEmail.body.error.code).toBe('CONFLICT');
    const byName = await sut.http().post('/api/v1/auth/register').send({ ...uniqueUserInput(), username: user.username.toUpperCase() });
    expect(byName.status).toBe(409);
  });

  it('logs in with the OAuth2 password form (seed 001) by username or email', async () => {
    const user = await createUser(sut);
    const byName = await sut
      .http()
      .post('/api/v1/auth/login')
      .type('form')
      .send(`username=${user.username}&password=${encodeURIComponent(user.password)}&grant_type=password`)
      .expect(200);
    expect(byName.body.data).toMatchObject({ token_type: 'bearer', user: { id: user.id } });
    expect(byName.body.data.access_token).toEqual(expect.any(String));

    await sut.http().post('/api/v1/auth/login').type('form').send({ username: user.email, password: user.password }).expect(200);
  });

  it('logs in with JSON by email', async () => {
    const user = await createUser(sut);
    const res = await sut.http().post('/api/v1/auth/login').send({ email: user.email, password: user.password }).expect(200);
    expect(res.body.data.user.id).toBe(user.id);
  });

  it('answers an unknown user and a wrong password the same way', async () => {
    const user = await createUser(sut);
    const wrong = await sut.http().post('/api/v1/auth/login').send({ username: user.username, password: 'wrong password!' });
    const unknown = await sut.http().post('/api/v1/auth/login').send({ username: 'nobody-here', password: 'wrong password!' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error).toEqual(unknown.body.error);
    expect(wrong.body.error.code).toBe('AUTHENTICATION_REQUIRED');
  });

  it('GET /auth/me returns the profile of the token holder', async () => {
    const user = await createUser(sut, { name: 'Grace' } as never);
    const res = await sut.http().get('/api/v1/auth/me').set(bearer(user.accessToken)).expect(200);
    expect(res.body.data).toMatchObject({ id: user.id, email: user.email, username: user.username, roles: ['user'], auth_provider: 'local' });
  });

  it('GET /auth/me without a token is AUTHENTICATION_REQUIRED', async () => {
    const res = await sut.http().get('/api/v1/auth/me').expect(401);
    expect(res.body.error.code).toBe('AUTHENTICATION_REQUIRED');
  });
});
