import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { azureIssuer, type OidcProviderConfig, type SsoConfig } from '../../../config/sso-config';

/** Who the IdP says the user is, from an ID token or an Azure AD access token. */
export interface SsoProfile {
  provider: string;
  /** With `subject`, the identity key: Azure AD's tenant issuer (from `tid`) + `oid`, else `iss` + `sub`. */
  issuer: string;
  subject: string;
  tenantId: string | null;
  email: string;
  /** Only a verified email may decide roles or pass the email allow-lists (Azure AD: `xms_edov`). */
  emailVerified: boolean;
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
    // Azure AD: `email` is optional and unverified (a guest picks it) unless the optional claim
    // `xms_edov` says its domain owner verified it; preferred_username (UPN) is never verified.
    const email = [str(claims.email), str(claims.preferred_username), str(claims.upn)].find(looksLikeEmail);
    if (!email) throw refused('Your Azure AD account has no email address');
    return {
      provider: provider.name,
      issuer: azureIssuer(authority, tenantId),
      subject: objectId,
      tenantId,
      email: email.toLowerCase(),
      emailVerified: email === str(claims.email) && claims.xms_edov === true,
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
  // A missing email_verified is not a verified email.
  const emailVerified = claims.email_verified === true;
  return { provider: provider.name, issuer, subject, tenantId: null, email: email.toLowerCase(), emailVerified, name, idpRoles: [], groups: [] };
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
  if (sso.allowedEmails.length === 0 && sso.allowedEmailDomains.length === 0) return;
  if (!profile.emailVerified) throw refused('Your identity provider did not verify your email address, which this server requires');
  if (emailAllowed(profile.email, sso)) return;
  throw refused('Your email address is not allowed to sign in here');
}

/** ALLOWED_EMAILS / ALLOWED_EMAIL_DOMAINS (a domain matches whole); true when both are empty. */
export function emailAllowed(email: string, sso: Pick<SsoConfig, 'allowedEmails' | 'allowedEmailDomains'>): boolean {
  const { allowedEmails, allowedEmailDomains } = sso;
  if (allowedEmails.length === 0 && allowedEmailDomains.length === 0) return true;
  const domain = email.slice(email.lastIndexOf('@') + 1);
  return allowedEmails.includes(email) || allowedEmailDomains.includes(domain);
}

/** A username from the email's local part, in the register rules (3-64 of `[A-Za-z0-9._-]`). */
export function usernameCandidate(email: string, suffix?: string): string {
  let base = email.slice(0, email.indexOf('@')).replace(/[^A-Za-z0-9._-]/g, '').slice(0, 50);
  if (base.length < 3) base = `${base}user`;
  return suffix ? `${base}-${suffix}` : base;
}
