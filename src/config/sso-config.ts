import type { Role } from '../common/auth/role';
import type { Env } from './env.schema';

/** One of our roles, as configuration names it. */
export type MappedRole = `${Role}`;

/** One OpenID Connect identity provider we sign users in with. */
export interface OidcProviderConfig {
  /** The `:provider` path segment, and the users' `auth_provider`. */
  name: string;
  /** Discovery happens at `${issuer}/.well-known/openid-configuration`, on first use. */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scopes: string;
  /** Azure AD only: identities are keyed by tenant (`tid`) + object id (`oid`), not `sub`. */
  azure: boolean;
  /** IdP app roles (`roles` claim) and group ids (`groups` claim) to our roles. */
  roleMap: Record<string, MappedRole>;
  groupMap: Record<string, MappedRole>;
}

export interface AzureAdConfig {
  tenantId: string;
  clientId: string;
  authority: string;
  /** `${authority}/${tenantId}/v2.0`: the issuer of the tenant's v2 tokens. */
  issuer: string;
  /** Accepted `aud` of access tokens for our API. */
  audiences: string[];
  /** Required in `scp` of delegated access tokens (a mapped app role qualifies only with `idtyp=app`). */
  apiScope: string;
  roleMap: Record<string, MappedRole>;
}

export interface SsoConfig {
  /** Our public base URL, to build the callback URL the IdP redirects to; else the request's host. */
  publicUrl?: string;
  providers: OidcProviderConfig[];
  /** Set when Azure AD is configured: Azure AD access tokens are then accepted as Bearer tokens. */
  azure?: AzureAdConfig;
  /** Tenants whose users may sign in (empty: the configured tenant only). */
  allowedTenants: string[];
  allowedEmailDomains: string[];
  allowedEmails: string[];
  jwksCooldownSeconds: number;
  /** Why Azure AD is off, for the SERVICE_UNAVAILABLE message. */
  azureMissing: string[];
}

export function azureIssuer(authority: string, tenantId: string): string {
  return `${authority.replace(/\/+$/, '')}/${tenantId}/v2.0`;
}

export function buildSsoConfig(env: Env): SsoConfig {
  const providers: OidcProviderConfig[] = [];
  let azure: AzureAdConfig | undefined;
  const azureMissing = (['AZURE_AD_TENANT_ID', 'AZURE_AD_CLIENT_ID'] as const).filter((key) => !env[key]);
  if (env.AZURE_AD_TENANT_ID && env.AZURE_AD_CLIENT_ID) {
    const issuer = azureIssuer(env.AZURE_AD_AUTHORITY, env.AZURE_AD_TENANT_ID);
    azure = {
      tenantId: env.AZURE_AD_TENANT_ID,
      clientId: env.AZURE_AD_CLIENT_ID,
      authority: env.AZURE_AD_AUTHORITY.replace(/\/+$/, ''),
      issuer,
      audiences: [env.AZURE_AD_CLIENT_ID, `api://${env.AZURE_AD_CLIENT_ID}`],
      apiScope: env.AZURE_AD_API_SCOPE,
      roleMap: env.AZURE_AD_ROLE_MAP,
    };
    providers.push({
      name: 'azure',
      issuer,
      clientId: env.AZURE_AD_CLIENT_ID,
      clientSecret: env.AZURE_AD_CLIENT_SECRET,
      scopes: env.AZURE_AD_SCOPES,
      azure: true,
      roleMap: env.AZURE_AD_ROLE_MAP,
      groupMap: env.AZURE_AD_GROUP_MAP,
    });
  }
  if (env.OIDC_GOOGLE_CLIENT_ID) {
    providers.push({
      name: 'google',
      issuer: env.OIDC_GOOGLE_ISSUER.replace(/\/+$/, ''),
      clientId: env.OIDC_GOOGLE_CLIENT_ID,
      clientSecret: env.OIDC_GOOGLE_CLIENT_SECRET,
      scopes: env.OIDC_GOOGLE_SCOPES,
      azure: false,
      roleMap: {},
      groupMap: {},
    });
  }
  return {
    publicUrl: env.PUBLIC_URL?.replace(/\/+$/, ''),
    providers,
    azure,
    allowedTenants: env.ALLOWED_TENANTS,
    allowedEmailDomains: env.ALLOWED_EMAIL_DOMAINS.map((domain) => domain.toLowerCase().replace(/^@/, '')),
    allowedEmails: env.ALLOWED_EMAILS.map((email) => email.toLowerCase()),
    jwksCooldownSeconds: env.SSO_JWKS_COOLDOWN_SECONDS,
    azureMissing,
  };
}
