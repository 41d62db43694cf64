import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from '../helpers/app';
import { AzureTenantIssuer } from '../helpers/oidc-issuer';
import { azureUser } from '../helpers/sso-flow';
import { bearer, createUser } from '../helpers/users';
import { PlainClient, wsUrl } from '../seeds/plain-ws-client';
import { TestSocket } from './socket-client';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e';

/** What one transport made of a token: accepted, or refused with an error code. */
type Outcome = { accepted: true } | { accepted: false; code: string };

/**
 * One access-token check for every transport (AccessTokenVerifier): a token the HTTP API accepts
 * opens Socket.IO and the plain WebSocket too, as the same account; a token it refuses is refused
 * by both sockets with the same code.
 */
describe('Access tokens: HTTP, Socket.IO and plain WebSocket agree', () => {
  jest.setTimeout(60_000);

  let idp: AzureTenantIssuer;
  let sut: TestApp;

  beforeAll(async () => {
    idp = await AzureTenantIssuer.start({ tenantId: TENANT, clientId: CLIENT_ID });
    sut = await createTestApp({
      AZURE_AD_TENANT_ID: TENANT,
      AZURE_AD_CLIENT_ID: CLIENT_ID,
      AZURE_AD_CLIENT_SECRET: 'test-secret',
      AZURE_AD_AUTHORITY: idp.authority,
      AZURE_AD_ROLE_MAP: 'Admin=admin',
    });
  });
  afterAll(async () => {
    await sut.close();
    await idp.stop();
  });

  async function overHttp(token: string): Promise<Outcome> {
    const res = await sut.http().get('/api/v1/auth/me').set(bearer(token));
    return res.status === 200 ? { accepted: true } : { accepted: false, code: res.body.error.code };
  }

  async function overSocketIo(token: string): Promise<Outcome> {
    const socket = new TestSocket(sut.url, { auth: { token } });
    try {
      await socket.connect();
      return { accepted: true };
    } catch (error) {
      return { accepted: false, code: (error as { data: { code: string } }).data.code };
    } finally {
      socket.close();
    }
  }

  async function overPlainWs(token: string): Promise<Outcome> {
    const ws = await PlainClient.open(wsUrl(sut.url, '/api/ws', token));
    // The token is checked on the open socket: a refusal is a 1008 close whose reason starts with the code.
    ws.send({ type: 'ping' });
    const outcome = await Promise.race([
      ws.next((frame) => frame.type === 'pong').then((): Outcome => ({ accepted: true })),
      ws.closed.then(({ code, reason }): Outcome => ({ accepted: false, code: code === 1008 ? reason.split(':')[0] : `close ${code}` })),
    ]);
    ws.close();
    return outcome;
  }

  async function everywhere(token: string) {
    return { http: await overHttp(token), socketIo: await overSocketIo(token), plainWs: await overPlainWs(token) };
  }

  const accepted = { http: { accepted: true }, socketIo: { accepted: true }, plainWs: { accepted: true } };
  const refusedWith = (code: string) => ({ http: { accepted: false, code }, socketIo: { accepted: false, code }, plainWs: { accepted: false, code } });

  /** Our token's claims, re-signed with our key but with `change` applied. */
  function resigned(token: string, change: Record<string, unknown>, audience = sut.config.auth.audience): string {
    const jwt = new JwtService();
    const { sub, sid, email, username, roles, exp } = jwt.decode<Record<string, unknown>>(token);
    return jwt.sign(
      { sub, sid, email, username, roles, exp, ...change },
      { secret: sut.config.auth.jwtSecret, algorithm: 'HS256', issuer: sut.config.auth.issuer, audience },
    );
  }

  it('our access token: accepted by all three', async () => {
    const user = await createUser(sut);
    expect(await everywhere(user.accessToken)).toEqual(accepted);
  });

  it('an Azure AD access token for our API: accepted by all three, as the same account', async () => {
    idp.signInAs(azureUser());
    const token = await idp.accessToken();
    expect(await everywhere(token)).toEqual(accepted);

    // A room made over Socket.IO belongs to the account HTTP resolves for the same token.
    const socket = await new TestSocket(sut.url, { auth: { token } }).connect();
    try {
      const ack = await socket.emit('create_room', { title: 'cross-transport' });
      if (!ack.ok) throw new Error(`create_room refused: ${ack.error.code}`);
      const roomId = String(ack.data.room_id);
      await sut.http().get(`/api/v1/chat/conversations/${roomId}`).set(bearer(token)).expect(200);
    } finally {
      socket.close();
    }
  });

  it('an Azure AD ID token (nonce, no scp): refused by all three', async () => {
    idp.signInAs(azureUser({ roles: ['Admin'] }));
    const idToken = await idp.accessToken({ nonce: randomUUID(), scp: undefined });
    expect(await everywhere(idToken)).toEqual(refusedWith('AUTHENTICATION_REQUIRED'));
  });

  it('an Azure AD token for another audience: refused by all three', async () => {
    idp.signInAs(azureUser());
    expect(await everywhere(await idp.accessToken({ aud: 'https://graph.microsoft.com' }))).toEqual(refusedWith('AUTHENTICATION_REQUIRED'));
  });

  it('an Azure AD token without our scope: ACCESS_DENIED on all three', async () => {
    idp.signInAs(azureUser());
    expect(await everywhere(await idp.accessToken({ scp: 'User.Read' }))).toEqual(refusedWith('ACCESS_DENIED'));
  });

  it('an expired Azure AD token: TOKEN_EXPIRED on all three', async () => {
    idp.signInAs(azureUser());
    expect(await everywhere(await idp.accessToken({}, { expiresIn: -600 }))).toEqual(refusedWith('TOKEN_EXPIRED'));
  });

  it('our token for another audience, or expired: refused by all three with the same code', async () => {
    const user = await createUser(sut);
    expect(await everywhere(resigned(user.accessToken, {}, 'another-api'))).toEqual(refusedWith('AUTHENTICATION_REQUIRED'));
    expect(await everywhere(resigned(user.accessToken, { exp: Math.floor(Date.now() / 1000) - 10 }))).toEqual(refusedWith('TOKEN_EXPIRED'));
  });

  it('our token after logout (revoked sign-in): refused by all three', async () => {
    const user = await createUser(sut);
    expect(await everywhere(user.accessToken)).toEqual(accepted);
    await sut.http().post('/api/v1/auth/logout').set(bearer(user.accessToken)).expect(200);
    expect(await everywhere(user.accessToken)).toEqual(refusedWith('AUTHENTICATION_REQUIRED'));
  });

  it('our token of a disabled account: refused by all three', async () => {
    const user = await createUser(sut);
    await sut.app.get(DataSource).query('UPDATE users SET disabled = true WHERE id = $1', [user.id]);
    expect(await everywhere(user.accessToken)).toEqual(refusedWith('AUTHENTICATION_REQUIRED'));
  });
});
