import { createHmac } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { createTestApp, TestApp } from '../helpers/app';
import { bearer, createUser, TestUser } from '../helpers/users';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

function signHs256(header: object, payload: object, secret: string): string {
  const unsigned = `${b64(header)}.${b64(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

describe('Access tokens', () => {
  let sut: TestApp;
  let user: TestUser;
  let claims: Record<string, unknown>;

  beforeAll(async () => {
    sut = await createTestApp();
    user = await createUser(sut);
    claims = decode(user.accessToken);
  });
  afterAll(() => sut.close());

  const me = (token: string) => sut.http().get('/api/v1/auth/me').set(bearer(token));

  it('carries the documented claims', () => {
    expect(claims).toMatchObject({
      sub: user.id,
      email: user.email,
      username: user.username,
      roles: ['user'],
      iss: 'agent-backend',
      aud: 'agent-backend-api',
      jti: expect.any(String),
      sid: expect.any(String),
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);
  });

  it('accepts the genuine token', async () => {
    await me(user.accessToken).expect(200);
  });

  it.each([
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`],
    ['a wrong key', () => signHs256({ alg: 'HS256', typ: 'JWT' }, claims, 'x'.repeat(40))],
    ['a tampered payload', () => {
      const [header, , signature] = user.accessToken.split('.');
      return `${header}.${b64({ ...claims, roles: ['user', 'admin'] })}.${signature}`;
    }],
    ['a wrong issuer', () => signHs256({ alg: 'HS256', typ: 'JWT' }, { ...claims, iss: 'someone-else' }, sut.config.auth.jwtSecret)],
    ['a wrong audience', () => signHs256({ alg: 'HS256', typ: 'JWT' }, { ...claims, aud: 'other-api' }, sut.config.auth.jwtSecret)],
    ['HS512 instead of the pinned HS256', () => {
      const unsigned = `${b64({ alg: 'HS512', typ: 'JWT' })}.${b64(claims)}`;
      return `${unsigned}.${createHmac('sha512', sut.config.auth.jwtSecret).update(unsigned).digest('base64url')}`;
    }],
    ['a refresh token', () => user.refreshToken],
    ['garbage', () => 'not-a-token'],
  ])('refuses %s with 401 AUTHENTICATION_REQUIRED', async (_name, forge) => {
    const res = await me(forge()).expect(401);
    expect(res.body.error.code).toBe('AUTHENTICATION_REQUIRED');
  });

  it('answers an expired token with TOKEN_EXPIRED', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = new JwtService().sign(
      { ...claims, iat: now - 1000, exp: now - 10 },
      { secret: sut.config.auth.jwtSecret, algorithm: 'HS256' },
    );
    const res = await me(expired).expect(401);
    expect(res.body.error.code).toBe('TOKEN_EXPIRED');
    expect(res.body.error.details.refresh_required).toBe(true);
  });

  it('refuses an access token presented as a refresh token', async () => {
    const res = await sut.http().post('/api/v1/auth/refresh').send({ refresh_token: user.accessToken }).expect(401);
    expect(res.body.error.code).toBe('AUTHENTICATION_REQUIRED');
  });
});
