import { randomUUID } from 'node:crypto';
import { createTestApp, TestApp } from '../helpers/app';
import { AzureTenantIssuer, type AzureTestUser } from '../helpers/oidc-issuer';
import { authorize, azureUser, cookieFrom } from '../helpers/sso-flow';
import { bearer } from '../helpers/users';

const TENANT = '0b9f3c1e-5d7a-4c2b-9e8f-1a2b3c4d5e6f';
const CLIENT_ID = '4f1e2d3c-b5a6-4978-8a9b-0c1d2e3f4a5b';
const APP_ORIGIN = 'http://localhost:5173';

const azureEnv = (idp: AzureTenantIssuer) => ({
  AZURE_AD_TENANT_ID: TENANT,
  AZURE_AD_CLIENT_ID: CLIENT_ID,
  AZURE_AD_CLIENT_SECRET: 'test-secret',
  AZURE_AD_AUTHORITY: idp.authority,
  SSO_JWKS_COOLDOWN_SECONDS: '0',
  CORS_ORIGINS: APP_ORIGIN,
});

let idp: AzureTenantIssuer;
beforeAll(async () => {
  idp = await AzureTenantIssuer.start({ tenantId: TENANT, clientId: CLIENT_ID });
});
afterAll(() => idp.stop());

async function signIn(sut: TestApp, user: AzureTestUser, status = 200) {
  idp.signInAs(user);
  const { code, state, binding } = await authorize(sut);
  return sut.http().post('/api/v1/auth/azure/callback').set('Cookie', binding).send({ code, state }).expect(status);
}

describe('SSO: roles, binding and Azure AD tokens', () => {
  let sut: TestApp;
  const verifiedAdmin = azureUser();
  const unverifiedAdmin = azureUser({ xms_edov: undefined });
  const identityAdmin = azureUser();

  beforeAll(async () => {
    sut = await createTestApp({
      ...azureEnv(idp),
      AZURE_AD_ROLE_MAP: 'Admin=admin',
      ADMIN_EMAILS: `${verifiedAdmin.email},${unverifiedAdmin.email}`,
      ADMIN_IDENTITIES: `${TENANT}/${identityAdmin.oid}`,
    });
  });
  afterAll(() => sut.close());

  describe('roles never come from an unverified email', () => {
    it('ADMIN_EMAILS applies only to an email the tenant verified (xms_edov), not to a guest’s claim', async () => {
      expect((await signIn(sut, verifiedAdmin)).body.data.user.roles).toEqual(['user', 'admin']);
      expect((await signIn(sut, unverifiedAdmin)).body.data.user.roles).toEqual(['user']);
    });

    it('email_verified follows the IdP’s flag at each sign-in (and is never a reason for admin)', async () => {
      const user = azureUser();
      const verified = await signIn(sut, user);
      expect(verified.body.data.user).toMatchObject({ email_verified: true, roles: ['user'] });
      const unverified = await signIn(sut, { ...user, xms_edov: undefined });
      expect(unverified.body.data.user).toMatchObject({ id: verified.body.data.user.id, email_verified: false });
      const profile = await sut.http().get('/api/v1/auth/me').set(bearer(unverified.body.data.access_token)).expect(200);
      expect(profile.body.data.email_verified).toBe(false);
    });

    it('ADMIN_IDENTITIES grants admin by tenant and object id, whatever the email', async () => {
      const res = await signIn(sut, { ...identityAdmin, xms_edov: undefined });
      expect(res.body.data.user.roles).toEqual(['user', 'admin']);
    });
  });

  describe('sign-in bound to the browser that started it (login CSRF)', () => {
    it('login sets an HTTP-only sso_binding cookie', async () => {
      const login = await sut.http().post('/api/v1/auth/azure/login').send({}).expect(200);
      const line = (login.headers['set-cookie'] as unknown as string[]).find((cookie) => cookie.startsWith('sso_binding='));
      expect(line).toMatch(/HttpOnly/);
      expect(line).toMatch(/SameSite=Lax/);
    });

    it('a callback without the binding cookie is CSRF_FAILED; with another browser’s, the state is unknown', async () => {
      idp.signInAs(azureUser());
      const attacker = await authorize(sut);
      const missing = await sut.http().post('/api/v1/auth/azure/callback').send({ code: attacker.code, state: attacker.state }).expect(403);
      expect(missing.body.error.code).toBe('CSRF_FAILED');
      const victim = await authorize(sut);
      const swapped = await sut
        .http()
        .post('/api/v1/auth/azure/callback')
        .set('Cookie', victim.binding)
        .send({ code: attacker.code, state: attacker.state })
        .expect(401);
      expect(swapped.body.error.code).toBe('AUTHENTICATION_REQUIRED');
      const get = await sut.http().get(`${attacker.callback.pathname}${attacker.callback.search}`).expect(403);
      expect(get.body.error.code).toBe('CSRF_FAILED');
    });

    it('the one-time exchange code only works with the binding cookie of its sign-in', async () => {
      idp.signInAs(azureUser());
      const flow = await authorize(sut, 'azure', { redirect_url: `${APP_ORIGIN}/` });
      const back = await sut.http().get(`${flow.callback.pathname}${flow.callback.search}`).set('Cookie', flow.binding).expect(302);
      const code = new URL(back.headers.location).searchParams.get('code')!;
      const other = await authorize(sut);
      await sut.http().post('/api/v1/auth/exchange').send({ code }).expect(403);
      await sut.http().post('/api/v1/auth/exchange').set('Cookie', other.binding).send({ code }).expect(401);
      const ok = await sut.http().post('/api/v1/auth/exchange').set('Cookie', flow.binding).send({ code }).expect(200);
      expect(ok.headers['cache-control']).toBe('no-store');
      expect(cookieFrom(ok, 'sso_binding')).toBe('sso_binding=');
    });

    it('a cookie-mode callback from a cross-site form post is refused', async () => {
      idp.signInAs(azureUser());
      const flow = await authorize(sut);
      const res = await sut
        .http()
        .post('/api/v1/auth/azure/callback')
        .type('form')
        .set('Cookie', flow.binding)
        .set('Origin', 'https://evil.example')
        .send({ code: flow.code, state: flow.state, set_cookies: 'true' })
        .expect(403);
      expect(res.body.error.code).toBe('CSRF_FAILED');
    });

    it('the callback answers Cache-Control: no-store', async () => {
      const res = await signIn(sut, azureUser());
      expect(res.headers['cache-control']).toBe('no-store');
    });
  });

  describe('Azure AD tokens as API access tokens', () => {
    const me = (token: string) => sut.http().get('/api/v1/auth/me').set(bearer(token));

    it('an ID token (nonce, no scp) is refused even with a mapped app role', async () => {
      idp.signInAs(azureUser({ roles: ['Admin'] }));
      const idToken = await idp.accessToken({ nonce: randomUUID(), scp: undefined });
      const res = await me(idToken).expect(401);
      expect(res.body.error.code).toBe('AUTHENTICATION_REQUIRED');
    });

    it('an app role without scp counts only in an app-only token (idtyp=app)', async () => {
      idp.signInAs(azureUser({ roles: ['Admin'] }));
      const res = await me(await idp.accessToken({ scp: undefined })).expect(403);
      expect(res.body.error.code).toBe('ACCESS_DENIED');
    });

    it('a role named like an Object.prototype member does not pass the role map', async () => {
      for (const role of ['hasOwnProperty', 'constructor', '__proto__']) {
        idp.signInAs(azureUser({ roles: [role] }));
        const res = await me(await idp.accessToken({ scp: undefined, idtyp: 'app' })).expect(403);
        expect(res.body.error.code).toBe('ACCESS_DENIED');
      }
    });
  });
});

describe('SSO: email allow-lists and sign-in lifetime', () => {
  let sut: TestApp;
  const SSO_TTL_SECONDS = 2;

  beforeAll(async () => {
    sut = await createTestApp({ ...azureEnv(idp), ALLOWED_EMAIL_DOMAINS: 'contoso.com', SSO_REFRESH_TTL: String(SSO_TTL_SECONDS) });
  });
  afterAll(() => sut.close());

  it('an unverified email inside ALLOWED_EMAIL_DOMAINS is refused (a guest can claim any email)', async () => {
    for (const user of [azureUser({ xms_edov: undefined }), azureUser({ xms_edov: false }), azureUser({ email: undefined })]) {
      const res = await signIn(sut, user, 403);
      expect(res.body.error.code).toBe('ACCESS_DENIED');
    }
    await signIn(sut, azureUser());
  });

  it('an SSO sign-in ends after SSO_REFRESH_TTL, however often it is refreshed', async () => {
    const data = (await signIn(sut, azureUser())).body.data;
    const rotated = (await sut.http().post('/api/v1/auth/refresh').send({ refresh_token: data.refresh_token }).expect(200)).body.data;
    await new Promise((resolve) => setTimeout(resolve, SSO_TTL_SECONDS * 1000 + 300));
    await sut.http().post('/api/v1/auth/refresh').send({ refresh_token: rotated.refresh_token }).expect(401);
    await sut.http().get('/api/v1/auth/me').set(bearer(rotated.access_token)).expect(401);
  });
});
