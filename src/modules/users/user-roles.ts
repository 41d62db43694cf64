import { Role } from '../../common/auth/role';
import type { AppConfig } from '../../config/app-config';
import type { OidcProviderConfig } from '../../config/sso-config';

/**
 * The one rule for which roles an account gets without an admin choosing them (an admin's
 * PATCH /admin/users/:id and `npm run admin:grant` are explicit choices, not derived).
 * Roles never come from an unverified claim: a local email is not verified when the account is
 * made, and an IdP email counts only when the IdP says it verified it.
 */

/** A new local account: nobody has verified its email yet, so never a role from it. */
export function initialLocalRoles(): Role[] {
  return [Role.User];
}

/** Who the IdP says signed in, as far as roles are concerned (SsoProfile has these fields). */
export interface IdentityForRoles {
  issuer: string;
  subject: string;
  tenantId: string | null;
  email: string;
  emailVerified: boolean;
  /** App roles (`roles`) and group ids (`groups`) as the IdP sent them. */
  idpRoles: string[];
  groups: string[];
}

type AdminConfig = Pick<AppConfig['auth'], 'adminIdentities' | 'adminEmails'>;

/**
 * An account's roles at each identity-provider sign-in: the IdP's mapped roles when the provider
 * maps any (then the IdP is authoritative), else the roles the account already has (`[user]` for
 * a new one); plus admin when configuration names this identity or its verified email.
 */
export function rolesAtSignIn(
  identity: IdentityForRoles,
  current: Role[] | undefined,
  provider: Pick<OidcProviderConfig, 'roleMap' | 'groupMap'>,
  admin: AdminConfig,
): Role[] {
  const roles = mappedRoles(provider, identity) ?? current ?? initialLocalRoles();
  return isConfiguredAdmin(identity, admin) && !roles.includes(Role.Admin) ? [...roles, Role.Admin] : roles;
}

/**
 * Admin by configuration: an immutable identity in ADMIN_IDENTITIES (`{tid}/{oid}` or
 * `{issuer}#{sub}`), or an ADMIN_EMAILS address the IdP verified. Never an unverified email.
 */
export function isConfiguredAdmin(identity: Omit<IdentityForRoles, 'idpRoles' | 'groups'>, admin: AdminConfig): boolean {
  const keys = [`${identity.issuer}#${identity.subject}`];
  if (identity.tenantId) keys.push(`${identity.tenantId}/${identity.subject}`);
  if (keys.some((key) => admin.adminIdentities.includes(key))) return true;
  return identity.emailVerified && admin.adminEmails.includes(identity.email);
}

/**
 * Roles from the IdP, when the provider maps any (AZURE_AD_ROLE_MAP, AZURE_AD_GROUP_MAP): then the
 * IdP is authoritative and removing an app role in Entra ID removes ours at the next sign-in.
 * Undefined when nothing is mapped (roles are then managed here).
 */
export function mappedRoles(
  provider: Pick<OidcProviderConfig, 'roleMap' | 'groupMap'>,
  identity: Pick<IdentityForRoles, 'idpRoles' | 'groups'>,
): Role[] | undefined {
  const maps = [
    [provider.roleMap, identity.idpRoles],
    [provider.groupMap, identity.groups],
  ] as const;
  if (maps.every(([map]) => Object.keys(map).length === 0)) return undefined;
  const roles = new Set<Role>([Role.User]);
  for (const [map, values] of maps) {
    for (const value of values) {
      // Own keys only: a claim such as "hasOwnProperty" must not find Object.prototype's.
      if (Object.hasOwn(map, value)) roles.add(map[value] as Role);
    }
  }
  return [...roles];
}
