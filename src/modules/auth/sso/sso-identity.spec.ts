import { validateEnv } from '../../../config/env.schema';
import { buildSsoConfig, type OidcProviderConfig } from '../../../config/sso-config';
import { Role } from '../../../common/auth/role';
import { isConfiguredAdmin, mappedRoles, rolesAtSignIn } from '../../users/user-roles';
import { assertAllowed, profileFromClaims, usernameCandidate } from './sso-identity';

const TENANT = 'tenant-1';
const sso = (env: Record<string, string> = {}) =>
  buildSsoConfig(validateEnv({ AZURE_AD_TENANT_ID: TENANT, AZURE_AD_CLIENT_ID: 'client', ...env }));
const azure = (env: Record<string, string> = {}): OidcProviderConfig => sso(env).providers[0];
const claims = {
  tid: TENANT,
  oid: 'oid-1',
  preferred_username: 'Ada@Contoso.com',
  email: 'Ada@Contoso.com',
  xms_edov: true,
  name: 'Ada',
  roles: ['Admin'],
  groups: ['g1'],
};

describe(profileFromClaims.name, () => {
  it('keys Azure AD users by the tenant issuer and oid, with a lower-cased email', () => {
    const sut = profileFromClaims(azure(), claims, 'https://login.microsoftonline.com');
    expect(sut).toMatchObject({
      issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      subject: 'oid-1',
      tenantId: TENANT,
      email: 'ada@contoso.com',
      idpRoles: ['Admin'],
    });
  });

  it('refuses an Azure AD account without any email-like claim', () => {
    expect(() => profileFromClaims(azure(), { ...claims, email: undefined, preferred_username: 'ada' }, 'https://x')).toThrow(/no email/);
  });

  it('an Azure AD email is verified only with xms_edov true, and only the `email` claim', () => {
    const verified = (extra: Record<string, unknown>) => profileFromClaims(azure(), { ...claims, ...extra }, 'https://x').emailVerified;
    expect(verified({})).toBe(true);
    expect(verified({ xms_edov: undefined })).toBe(false);
    expect(verified({ xms_edov: false })).toBe(false);
    expect(verified({ xms_edov: 'true' })).toBe(false);
    // A UPN (preferred_username) is a sign-in name, not a verified mailbox.
    expect(verified({ email: undefined })).toBe(false);
  });

  it('a generic OIDC email is verified only with email_verified === true (missing is not verified)', () => {
    const google = sso({ OIDC_GOOGLE_CLIENT_ID: 'g' }).providers[1];
    const base = { iss: 'https://accounts.google.com', sub: '1', email: 'a@b.co' };
    expect(profileFromClaims(google, { ...base, email_verified: true }).emailVerified).toBe(true);
    expect(profileFromClaims(google, base).emailVerified).toBe(false);
    expect(profileFromClaims(google, { ...base, email_verified: 'true' }).emailVerified).toBe(false);
  });

  it('refuses an unverified email from other providers', () => {
    const google = sso({ OIDC_GOOGLE_CLIENT_ID: 'g' }).providers[1];
    expect(() => profileFromClaims(google, { iss: 'https://accounts.google.com', sub: '1', email: 'a@b.co', email_verified: false })).toThrow();
    expect(profileFromClaims(google, { iss: 'https://accounts.google.com', sub: '1', email: 'a@b.co' }).subject).toBe('1');
  });
});

describe(assertAllowed.name, () => {
  const profile = profileFromClaims(azure(), claims, 'https://login.microsoftonline.com');

  it('allows the configured tenant, refuses others unless listed', () => {
    expect(() => assertAllowed(profile, sso())).not.toThrow();
    expect(() => assertAllowed({ ...profile, tenantId: 'other' }, sso())).toThrow(/tenant/);
    expect(() => assertAllowed({ ...profile, tenantId: 'other' }, sso({ ALLOWED_TENANTS: `${TENANT},other` }))).not.toThrow();
  });

  it('applies ALLOWED_EMAIL_DOMAINS and ALLOWED_EMAILS', () => {
    expect(() => assertAllowed(profile, sso({ ALLOWED_EMAIL_DOMAINS: 'contoso.com' }))).not.toThrow();
    expect(() => assertAllowed(profile, sso({ ALLOWED_EMAIL_DOMAINS: 'fabrikam.com' }))).toThrow(/email/);
    expect(() => assertAllowed(profile, sso({ ALLOWED_EMAIL_DOMAINS: 'fabrikam.com', ALLOWED_EMAILS: 'ada@contoso.com' }))).not.toThrow();
    // A domain must match whole: not a suffix of another domain.
    expect(() => assertAllowed({ ...profile, email: 'x@evilcontoso.com' }, sso({ ALLOWED_EMAIL_DOMAINS: 'contoso.com' }))).toThrow();
  });

  it('an unverified email never passes the email allow-lists (a guest can pick any email)', () => {
    const unverified = { ...profile, emailVerified: false };
    expect(() => assertAllowed(unverified, sso({ ALLOWED_EMAIL_DOMAINS: 'contoso.com' }))).toThrow(/verify/);
    expect(() => assertAllowed(unverified, sso({ ALLOWED_EMAILS: 'ada@contoso.com' }))).toThrow(/verify/);
    // Without email lists the tenant decides, and the flag does not matter.
    expect(() => assertAllowed(unverified, sso())).not.toThrow();
  });
});

describe(isConfiguredAdmin.name, () => {
  const profile = profileFromClaims(azure(), claims, 'https://login.microsoftonline.com');
  const none = { adminIdentities: [], adminEmails: [] };

  it('grants admin to ADMIN_IDENTITIES by tenant/object id or issuer#sub', () => {
    expect(isConfiguredAdmin(profile, none)).toBe(false);
    expect(isConfiguredAdmin(profile, { ...none, adminIdentities: [`${TENANT}/oid-1`] })).toBe(true);
    expect(isConfiguredAdmin(profile, { ...none, adminIdentities: [`${profile.issuer}#oid-1`] })).toBe(true);
    expect(isConfiguredAdmin(profile, { ...none, adminIdentities: [`other-tenant/oid-1`] })).toBe(false);
  });

  it('grants ADMIN_EMAILS only to a verified email', () => {
    expect(isConfiguredAdmin(profile, { ...none, adminEmails: ['ada@contoso.com'] })).toBe(true);
    expect(isConfiguredAdmin({ ...profile, emailVerified: false }, { ...none, adminEmails: ['ada@contoso.com'] })).toBe(false);
  });
});

describe(mappedRoles.name, () => {
  it('is undefined when nothing is mapped (roles then stay ours to manage)', () => {
    expect(mappedRoles(azure(), profileFromClaims(azure(), claims, 'https://x'))).toBeUndefined();
  });

  it('maps app roles and groups, always including user', () => {
    const provider = azure({ AZURE_AD_ROLE_MAP: 'Admin=admin', AZURE_AD_GROUP_MAP: 'g2=admin' });
    expect(mappedRoles(provider, profileFromClaims(provider, claims, 'https://x'))).toEqual([Role.User, Role.Admin]);
    expect(mappedRoles(provider, profileFromClaims(provider, { ...claims, roles: [], groups: [] }, 'https://x'))).toEqual([Role.User]);
  });

  it('looks up own keys only: a role named like an Object.prototype member maps to nothing', () => {
    const provider = azure({ AZURE_AD_ROLE_MAP: 'Admin=admin' });
    for (const role of ['hasOwnProperty', 'constructor', '__proto__', 'toString']) {
      expect(mappedRoles(provider, profileFromClaims(provider, { ...claims, roles: [role], groups: [] }, 'https://x'))).toEqual([Role.User]);
    }
  });

  it('rejects a role map naming an unknown role', () => {
    expect(() => validateEnv({ AZURE_AD_ROLE_MAP: 'Admin=root' })).toThrow(/AZURE_AD_ROLE_MAP/);
  });
});

describe(usernameCandidate.name, () => {
  it('follows the register rules', () => {
    expect(usernameCandidate('ada.lovelace+x@contoso.com')).toBe('ada.lovelacex');
    expect(usernameCandidate('a@b.co')).toBe('auser');
    expect(usernameCandidate('ada@b.co', 'f00')).toBe('ada-f00');
  });
});

describe(rolesAtSignIn.name, () => {
  const profile = profileFromClaims(azure(), claims, 'https://login.microsoftonline.com');
  const none = { adminIdentities: [], adminEmails: [] };

  it('keeps the account’s roles when nothing is mapped, and starts a new account as user', () => {
    expect(rolesAtSignIn(profile, [Role.User, Role.Admin], azure(), none)).toEqual([Role.User, Role.Admin]);
    expect(rolesAtSignIn(profile, undefined, azure(), none)).toEqual([Role.User]);
  });

  it('lets a mapping IdP replace the roles, and adds admin from configuration on top', () => {
    const provider = azure({ AZURE_AD_ROLE_MAP: 'Other=admin' });
    expect(rolesAtSignIn(profile, [Role.User, Role.Admin], provider, none)).toEqual([Role.User]);
    expect(rolesAtSignIn(profile, [Role.User], provider, { ...none, adminEmails: ['ada@contoso.com'] })).toEqual([Role.User, Role.Admin]);
  });

  it('never makes an unverified email admin', () => {
    const guest = { ...profile, emailVerified: false };
    expect(rolesAtSignIn(guest, undefined, azure(), { ...none, adminEmails: ['ada@contoso.com'] })).toEqual([Role.User]);
  });
});
