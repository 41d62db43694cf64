import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { azureIssuer, type OidcProviderConfig, type SsoConfig } from '../../../config/sso-config';
import { Role } from '../../users/user.entity';

/** Who the IdP says the user is, from an ID token or an Azure AD access token. */
export interface SsoProfile {
  provider: string;
  /** With `subject`, the identity key: Azure AD's tenant issuer (from `tid`) + `oid`, else `iss` + `sub`. */
  issuer: string;
  subject: string;
  tenantId: string | null;
  email: string;
  name: string | null;
  /** App roles (`roles`) and group ids (`groups`) as the IdP sent them. */
  idpRoles: string[];
  groups: string[];
}

type Claims = Record<string, unknown>;

const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
const looksLikeEmail = (value: string | undefined): value is string => value !== undefined && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value);

const refused = (message: string) => new AppException(ErrorCode.AccessDenied, message);

export function profileFromClaims(provider: OidcProviderConfig, claims: Claims, authority?: string): SsoProfile {
  const name = str(claims.name) ?? null;
  if (provider.azure) {
    const tenantId = str(claims.tid);
    const objectId = str(claims.oid);
    if (!tenantId || !objectId || !authority) throw new AppException(ErrorCode.AuthenticationRequired, 'The token has no tid/oid claims');
    // Azure AD: `email` is optional and unverified; preferred_username is the sign-in name (UPN).
    const email = [str(claims.email), str(claims.preferred_username), str(claims.upn)].find(looksLikeEmail);
    if (!email) throw refused('Your Azure AD account has no email address');
    return {
      provider: provider.name,
      issuer: azureIssuer(authority, tenantId),
      subject: objectId,
      tenantId,
      email: email.toLowerCase(),
      name,
      idpRoles: strings(claims.roles),
      groups: strings(claims.groups),
    };
  }
  const issuer = str(claims.iss);
  const subject = str(claims.sub);
  if (!issuer || !subject) throw new AppException(ErrorCode.AuthenticationRequired, 'The ID token has no iss/sub claims');
  const email = str(claims.email);
  if (!looksLikeEmail(email) || claims.email_verified === false) throw refused('Your account has no verified email address');
  return { provider: provider.name, issuer, subject, tenantId: null, email: email.toLowerCase(), name, idpRoles: [], groups: [] };
}

/** Tenants whose users may sign in: ALLOWED_TENANTS, else the configured tenant. */
export function allowedTenants(sso: SsoConfig): string[] {
  if (sso.allowedTenants.length > 0) return sso.allowedTenants;
  return sso.azure ? [sso.azure.tenantId] : [];
}

/** Tenant and email allow-lists. A refused user gets ACCESS_DENIED, and no account. */
export function assertAllowed(profile: SsoProfile, sso: SsoConfig): void {
  if (profile.tenantId !== null && !allowedTenants(sso).includes(profile.tenantId)) {
    throw refused('Your organization (tenant) is not allowed to sign in here');
  }
  const { allowedEmails, allowedEmailDomains } = sso;
  if (allowedEmails.length === 0 && allowedEmailDomains.length === 0) return;
  const domain = profile.email.slice(profile.email.lastIndexOf('@') + 1);
  if (allowedEmails.includes(profile.email) || allowedEmailDomains.includes(domain)) return;
  throw refused('Your email address is not allowed to sign in here');
}

/**
 * Roles from the IdP, when the provider maps any (AZURE_AD_ROLE_MAP, AZURE_AD_GROUP_MAP): then the
 * IdP is authoritative and removing an app role in Entra ID removes ours at the next sign-in.
 * Undefined when nothing is mapped (roles are then managed here).
 */
export function mappedRoles(provider: OidcProviderConfig, profile: SsoProfile): Role[] | undefined {
  const maps = [
    [provider.roleMap, profile.idpRoles],
    [provider.groupMap, profile.groups],
  ] as const;
  if (maps.every(([map]) => Object.keys(map).length === 0)) return undefined;
  const roles = new Set<Role>([Role.User]);
  for (const [map, values] of maps) {
    for (const value of values) {
      const role = map[value];
      if (role) roles.add(role as Role);
    }
  }
  return [...roles];
}

/** A username from the email's local part, in the register rules (3-64 of `[A-Za-z0-9._-]`). */
export function usernameCandidate(email: string, suffix?: string): string {
  let base = email.slice(0, email.indexOf('@')).replace(/[^A-Za-z0-9._-]/g, '').slice(0, 50);
  if (base.length < 3) base = `${base}user`;
  return suffix ? `${base}-${suffix}` : base;
}
