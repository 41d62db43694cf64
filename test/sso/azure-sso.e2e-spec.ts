import { createHash, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createTestApp, testDatabaseUrl, TestApp } from '../helpers/app';
import { AzureTenantIssuer, type AzureTestUser } from '../helpers/oidc-issuer';
import { authorize as authorizeAt, azureUser } from '../helpers/sso-flow';
import { bearer, createUser } from '../helpers/users';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e';
const APP_ORIGIN = 'http://localhost:5173';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('Azure AD single sign-on', () => {
  let idp: AzureTenantIssuer;
  let sut: TestApp;
  let db: Client;

  beforeAll(async () => {
    idp = await AzureTenantIssuer.start({ tenantId: TENANT, clientId: CLIENT_ID });
    sut = await createTestApp({
      AZURE_AD_TENANT_ID: TENANT,
      AZURE_AD_CLIENT_ID: CLIENT_ID,
      AZURE_AD_CLIENT_SECRET: 'test-secret',
      AZURE_AD_AUTHORITY: idp.authority,
      AZURE_AD_ROLE_MAP: 'Admin=admin',
      ALLOWED_EMAIL_DOMAINS: 'contoso.com',
      SSO_JWKS_COOLDOWN_SECONDS: '0',
      CORS_ORIGINS: APP_ORIGIN,
    });
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await sut.close();
    await idp.stop();
  });

  /** The browser's sso_binding cookie from the last login, sent back as that browser would. */
  let binding = '';
  async function authorize(body: Record<string, unknown> = {}) {
    const flow = await authorizeAt(sut, 'azure', body);
    binding = flow.binding;
    return flow;
  }

  const callback = (code: string, state: string) => sut.http().post('/api/v1/auth/azure/callback').set('Cookie', binding).send({ code, state });
  const me = (token: string) => sut.http().get('/api/v1/auth/me').set(bearer(token));
  const countUsers = async (email: string) => Number((await db.query('SELECT count(*) FROM users WHERE email = $1', [email])).rows[0].count);

  async function signIn(user: AzureTestUser) {
    idp.signInAs(user);
    const { code, state } = await authorize();
    return (await callback(code, state).expect(200)).body.data;
  }

  describe('sign-in flow', () => {
    it('login returns the IdP URL with state, nonce and an S256 PKCE challenge, for our callback', async () => {
      const { authUrl, state } = await authorize();
      expect(authUrl.href.startsWith(`${idp.issuer}/authorize`)).toBe(true);
      expect(authUrl.searchParams.get('client_id')).toBe(CLIENT_ID);
      expect(authUrl.searchParams.get('response_type')).toBe('code');
      expect(authUrl.searchParams.get('state')).toBe(state);
      expect(authUrl.searchParams.get('nonce')).toBeTruthy();
      expect(authUrl.searchParams.get('code_challenge_method')).toBe('S256');
      expect(authUrl.searchParams.get('code_challenge')).toBeTruthy();
      expect(authUrl.searchParams.get('redirect_uri')).toBe(`${sut.url}/api/v1/auth/azure/callback`);
      expect(authUrl.searchParams.get('scope')).toBe('openid profile email');
    });

    it('callback -> our tokens and the user; /auth/me, refresh and logout work as for local users', async () => {
      const user = azureUser({ roles: ['Admin'] });
      const data = await signIn(user);
      expect(data).toMatchObject({
        token_type: 'bearer',
        expires_in: 900,
        user: { email: user.preferred_username, name: user.name, auth_provider: 'azure', roles: ['user', 'admin'] },
      });

      const profile = await me(data.access_token).expect(200);
      expect(profile.body.data).toMatchObject({ id: data.user.id, auth_provider: 'azure', roles: ['user', 'admin'] });

      const refreshed = await sut.http().post('/api/v1/auth/refresh').send({ refresh_token: data.refresh_token }).expect(200);
      await me(refreshed.body.data.access_token).expect(200);

      await sut.http().post('/api/v1/auth/logout').set(bearer(refreshed.body.data.access_token)).expect(200);
      await me(refreshed.body.data.access_token).expect(401);
      await sut.http().post('/api/v1/auth/refresh').send({ refresh_token: refreshed.body.data.refresh_token }).expect(401);
    });

    it('the same tenant + object id is the same account, even after its email and roles change', async () => {
      const user = azureUser({ roles: ['Admin'] });
      const first = await signIn(user);
      const renamed = { ...user, preferred_username: `renamed-${user.preferred_username}`, email: `renamed-${user.preferred_username}`, roles: [] };
      const second = await signIn(renamed);
      expect(second.user.id).toBe(first.user.id);
      expect(second.user.email).toBe(renamed.preferred_username);
      expect(second.user.roles).toEqual(['user']);
    });

    it('never links to a local account by email alone', async () => {
      const local = await createUser(sut, { email: `local${Date.now().toString(36)}@contoso.com` });
      idp.signInAs(azureUser({ preferred_username: local.email }));
      const { code, state } = await authorize();
      const res = await callback(code, state).expect(409);
      expect(res.body.error.code).toBe('CONFLICT');
      expect(await countUsers(local.email)).toBe(1);
    });

    it('browser flow: GET login redirects to the IdP, the callback to redirect_url with a one-time code', async () => {
      const user = azureUser();
      idp.signInAs(user);
      const login = await sut.http().get('/api/v1/auth/azure/login').query({ redirect_url: `${APP_ORIGIN}/dashboard?tab=1` }).expect(302);
      binding = (login.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
      const authorizeRes = await fetch(login.headers.location, { redirect: 'manual' });
      const idpRedirect = new URL(authorizeRes.headers.get('location')!);
      // Azure AD adds session_state to the redirect.
      const back = await sut.http().get(`${idpRedirect.pathname}${idpRedirect.search}&session_state=abc`).set('Cookie', binding).expect(302);
      const landing = new URL(back.headers.location);
      expect(landing.origin).toBe(APP_ORIGIN);
      expect(landing.pathname).toBe('/dashboard');
      expect(landing.searchParams.get('tab')).toBe('1');
      const oneTime = landing.searchParams.get('code')!;
      expect(back.headers.location).not.toContain('access_token');

      const exchanged = await sut.http().post('/api/v1/auth/exchange').set('Cookie', binding).send({ code: oneTime }).expect(200);
      expect(exchanged.body.data.user.email).toBe(user.preferred_username);
      await me(exchanged.body.data.access_token).expect(200);

      const replay = await sut.http().post('/api/v1/auth/exchange').set('Cookie', binding).send({ code: oneTime }).expect(401);
      expect(replay.body.error.code).toBe('AUTHENTICATION_REQUIRED');
    });

    it('exchange with set_cookies sets the HTTP-only cookies (seed 004 validate-token)', async () => {
      idp.signInAs(azureUser());
      const { callback: idpRedirect } = await authorize({ redirect_url: `${APP_ORIGIN}/` });
      const back = await sut.http().get(`${idpRedirect.pathname}${idpRedirect.search}`).set('Cookie', binding).expect(302);
      const oneTime = new URL(back.headers.location).searchParams.get('code')!;
      const res = await sut.http().post('/api/v1/auth/exchange').set('Cookie', binding).send({ code: oneTime, set_cookies: true }).expect(200);
      const cookies = (res.headers['set-cookie'] as unknown as string[]).join('\n');
      expect(cookies).toMatch(/access_token=[^;]+;.*HttpOnly/);
      expect(cookies).toMatch(/refresh_token=[^;]+;.*HttpOnly/);
      expect(res.body.data.access_token).toBeUndefined();
      expect(res.body.data.csrf_token).toBeTruthy();
    });

    it('an expired one-time code is refused', async () => {
      idp.signInAs(azureUser());
      const { callback: idpRedirect } = await authorize({ redirect_url: `${APP_ORIGIN}/` });
      const back = await sut.http().get(`${idpRedirect.pathname}${idpRedirect.search}`).set('Cookie', binding).expect(302);
      const oneTime = new URL(back.headers.location).searchParams.get('code')!;
      await db.query(`UPDATE auth_codes SET expires_at = now() - interval '1 second' WHERE code_hash = $1`, [sha256(oneTime)]);
      await sut.http().post('/api/v1/auth/exchange').set('Cookie', binding).send({ code: oneTime }).expect(401);
    });
  });

  describe('refused sign-ins', () => {
    it('unknown state', async () => {
      const { code } = await authorize();
      const res = await callback(code, 'made-up-state').expect(401);
      expect(res.body.error.code).toBe('AUTHENTICATION_REQUIRED');
    });

    it('replayed state', async () => {
      idp.signInAs(azureUser());
      const { code, state } = await authorize();
      await callback(code, state).expect(200);
      const res = await callback(code, state).expect(401);
      expect(res.body.error.message).toMatch(/state/);
    });

    it('expired state', async () => {
      idp.signInAs(azureUser());
      const { code, state } = await authorize();
      await db.query(`UPDATE auth_states SET expires_at = now() - interval '1 second' WHERE state_hash = $1`, [sha256(state)]);
      await callback(code, state).expect(401);
    });

    it('an ID token with the wrong nonce', async () => {
      idp.signInAs(azureUser());
      const { code, state } = await authorize();
      idp.tweakNextIdToken((payload) => (payload.nonce = 'another-nonce'));
      const res = await callback(code, state).expect(401);
      expect(res.body.error).toMatchObject({ code: 'AUTHENTICATION_REQUIRED', message: expect.stringMatching(/ID token was rejected/) });
    });

    it('a wrong PKCE verifier (the IdP refuses the code)', async () => {
      idp.signInAs(azureUser());
      const { code, state } = await authorize();
      await db.query(`UPDATE auth_states SET code_verifier = $2 WHERE state_hash = $1`, [sha256(state), 'x'.repeat(64)]);
      const res = await callback(code, state).expect(401);
      expect(res.body.error.message).toMatch(/refused/);
    });

    it('an ID token from another tenant', async () => {
      const other = randomUUID();
      const user = azureUser();
      idp.signInAs(user);
      const { code, state } = await authorize();
      idp.tweakNextIdToken((payload) => Object.assign(payload, { iss: idp.issuerOf(other), tid: other }));
      const res = await callback(code, state).expect(401);
      expect(res.body.error.message).toMatch(/ID token was rejected/);
      expect(await countUsers(user.preferred_username)).toBe(0);
    });

    it('an ID token whose tid is not the tenant', async () => {
      const user = azureUser();
      idp.signInAs(user);
      const { code, state } = await authorize();
      idp.tweakNextIdToken((payload) => (payload.tid = randomUUID()));
      const res = await callback(code, state).expect(403);
      expect(res.body.error.code).toBe('ACCESS_DENIED');
      expect(await countUsers(user.preferred_username)).toBe(0);
    });

    it('an ID token for another audience', async () => {
      idp.signInAs(azureUser());
      const { code, state } = await authorize();
      idp.tweakNextIdToken((payload) => (payload.aud = 'another-application'));
      const res = await callback(code, state).expect(401);
      expect(res.body.error.message).toMatch(/ID token was rejected/);
    });

    it('an expired ID token', async () => {
      idp.signInAs(azureUser());
      const { code, state } = await authorize();
      idp.tweakNextIdToken((payload) => {
        payload.iat = payload.iat - 7200;
        payload.exp = payload.iat + 600;
      });
      const res = await callback(code, state).expect(401);
      expect(res.body.error.message).toMatch(/ID token was rejected: JWT timestamp/);
    });

    it('an email outside ALLOWED_EMAIL_DOMAINS gets ACCESS_DENIED and no account', async () => {
      const user = azureUser({ preferred_username: `mallory${Date.now()}@fabrikam.com` });
      idp.signInAs(user);
      const { code, state } = await authorize();
      const res = await callback(code, state).expect(403);
      expect(res.body.error.code).toBe('ACCESS_DENIED');
      expect(await countUsers(user.preferred_username)).toBe(0);
    });

    it('a redirect_url on a foreign origin (no open redirect)', async () => {
      for (const redirectUrl of ['https://evil.example/steal', 'http://localhost:5173.evil.example/', 'javascript:alert(1)']) {
        const res = await sut.http().post('/api/v1/auth/azure/login').send({ redirect_url: redirectUrl }).expect(422);
        expect(res.body.error.code).toBe('VALIDATION_ERROR');
      }
      await sut.http().get('/api/v1/auth/azure/login').query({ redirect_url: 'https://evil.example/' }).expect(422);
    });

    it('unknown fields and a missing state are validation errors', async () => {
      await sut.http().post('/api/v1/auth/azure/callback').send({ code: 'x' }).expect(422);
      await sut.http().post('/api/v1/auth/azure/callback').send({ code: 'x', state: 'y', extra: 1 }).expect(422);
    });

    it('an unknown provider is not found', async () => {
      const res = await sut.http().post('/api/v1/auth/okta/login').send({}).expect(404);
      expect(res.body.error.code).toBe('RESOURCE_NOT_FOUND');
    });
  });

  describe('Azure AD access tokens as Bearer', () => {
    it('are accepted and map to the same account as the sign-in flow', async () => {
      const user = azureUser();
      const signedIn = await signIn(user);
      const token = await idp.accessToken();
      const res = await me(token).expect(200);
      expect(res.body.data.id).toBe(signedIn.user.id);
    });

    it('provision the account on first use, with mapped app roles', async () => {
      idp.signInAs(azureUser());
      const res = await me(await idp.accessToken({ roles: ['Admin'] })).expect(200);
      expect(res.body.data).toMatchObject({ auth_provider: 'azure', roles: ['user', 'admin'] });
    });

    it('accept the api:// audience form', async () => {
      idp.signInAs(azureUser());
      await me(await idp.accessToken({ aud: `api://${CLIENT_ID}` })).expect(200);
    });

    it('logout says clearly that Azure AD tokens are not ours to revoke', async () => {
      idp.signInAs(azureUser());
      const res = await sut.http().post('/api/v1/auth/logout').set(bearer(await idp.accessToken())).expect(400);
      expect(res.body.error.message).toMatch(/Azure AD/);
    });

    it('are refused without the required scope or an app role', async () => {
      idp.signInAs(azureUser());
      const res = await me(await idp.accessToken({ scp: 'User.Read' })).expect(403);
      expect(res.body.error.code).toBe('ACCESS_DENIED');
    });

    it('are refused for another audience', async () => {
      idp.signInAs(azureUser());
      await me(await idp.accessToken({ aud: 'https://graph.microsoft.com' })).expect(401);
    });

    it('are refused from another tenant', async () => {
      const other = randomUUID();
      idp.signInAs(azureUser());
      await me(await idp.accessToken({ iss: idp.issuerOf(other), tid: other })).expect(401);
      await me(await idp.accessToken({ tid: other })).expect(401);
    });

    it('expired: TOKEN_EXPIRED', async () => {
      idp.signInAs(azureUser());
      const res = await me(await idp.accessToken({}, { expiresIn: -600 })).expect(401);
      expect(res.body.error.code).toBe('TOKEN_EXPIRED');
    });

    it('forged: signed by another key, under a known or an unknown kid', async () => {
      const { SignJWT, generateKeyPair } = await import('jose');
      const { privateKey } = await generateKeyPair('RS256');
      const genuine = await idp.accessToken();
      const claims = JSON.parse(Buffer.from(genuine.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
      const realKid = (JSON.parse(Buffer.from(genuine.split('.')[0], 'base64url').toString()) as { kid: string }).kid;
      for (const kid of [realKid, 'attacker-key']) {
        const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey);
        const res = await me(forged).expect(401);
        expect(res.body.error.code).toBe('AUTHENTICATION_REQUIRED');
      }
    });

    it('refuse other algorithms (alg none, HS256 with a guessable key)', async () => {
      const { SignJWT, UnsecuredJWT } = await import('jose');
      const genuine = await idp.accessToken();
      const claims = JSON.parse(Buffer.from(genuine.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
      await me(new UnsecuredJWT(claims).encode()).expect(401);
      const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(CLIENT_ID));
      await me(hs).expect(401);
    });

    it('signing-key rollover: a token under a new kid is accepted after the key set refreshes', async () => {
      idp.signInAs(azureUser());
      await me(await idp.accessToken()).expect(200);
      const rolled = await idp.addSigningKey(`rolled-${Date.now()}`);
      await me(await idp.accessToken({}, { kid: rolled })).expect(200);
    });

    it('our own tokens still work and still win', async () => {
      // ALLOWED_EMAIL_DOMAINS applies to local registration too.
      const local = await createUser(sut, { email: `own${Date.now().toString(36)}@contoso.com` });
      await me(local.accessToken).expect(200);
    });
  });
});

describe('Single sign-on without configuration', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp();
  });
  afterAll(() => sut.close());

  it('SSO routes answer SERVICE_UNAVAILABLE naming what to set; the rest of the app runs', async () => {
    const res = await sut.http().post('/api/v1/auth/azure/login').send({}).expect(503);
    expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(res.body.error.message).toMatch(/AZURE_AD_TENANT_ID/);
    await sut.http().get('/api/v1/auth/azure/login').expect(503);
    const local = await createUser(sut);
    await sut.http().get('/api/v1/auth/me').set(bearer(local.accessToken)).expect(200);
  });
});

describe('Single sign-on with an unreachable identity provider', () => {
  let sut: TestApp;

  beforeAll(async () => {
    // Port 9 (discard) on loopback: nothing listens, so discovery fails fast.
    sut = await createTestApp({ AZURE_AD_TENANT_ID: TENANT, AZURE_AD_CLIENT_ID: CLIENT_ID, AZURE_AD_AUTHORITY: 'http://127.0.0.1:9' });
  });
  afterAll(() => sut.close());

  it('starts without reaching the IdP, and SSO routes answer SERVICE_UNAVAILABLE', async () => {
    await sut.http().get('/api/ready').expect(200);
    const res = await sut.http().post('/api/v1/auth/azure/login').send({}).expect(503);
    expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
  });
});
