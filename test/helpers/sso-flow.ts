import { randomUUID } from 'node:crypto';
import type request from 'supertest';
import type { TestApp } from './app';
import type { AzureTestUser } from './oidc-issuer';

let counter = 0;

/** A tenant user whose email is the UPN, verified by the tenant (`xms_edov`), unless overridden. */
export function azureUser(overrides: Partial<AzureTestUser> = {}): AzureTestUser {
  const tag = `${Date.now().toString(36)}${(counter++).toString(36)}`;
  const upn = overrides.preferred_username ?? `ada${tag}@contoso.com`;
  return { oid: randomUUID(), preferred_username: upn, email: upn, xms_edov: true, name: `Ada ${tag}`, roles: [], ...overrides };
}

/** `name=value` of a Set-Cookie line by cookie name, for a Cookie header. */
export function cookieFrom(res: request.Response, name: string): string | undefined {
  const lines = (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];
  return lines.map((line) => line.split(';')[0]).find((pair) => pair.startsWith(`${name}=`));
}

/**
 * Our login route (which sets the `sso_binding` cookie), then the IdP's authorize endpoint, which
 * redirects to our callback. `binding` is the Cookie header the same browser would send back.
 */
export async function authorize(sut: TestApp, provider = 'azure', body: Record<string, unknown> = {}) {
  const login = await sut.http().post(`/api/v1/auth/${provider}/login`).send(body).expect(200);
  const { auth_url: authUrl, state } = login.body.data as { auth_url: string; state: string };
  // Missing only if the login failed to bind; the callback then fails with CSRF_FAILED.
  const binding = cookieFrom(login, 'sso_binding') ?? '';
  const res = await fetch(authUrl, { redirect: 'manual' });
  if (res.status !== 302) throw new Error(`authorize answered ${res.status}`);
  const callback = new URL(res.headers.get('location')!);
  return { authUrl: new URL(authUrl), state, code: callback.searchParams.get('code')!, callback, binding };
}
