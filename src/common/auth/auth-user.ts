import type { Role, User } from '../../modules/users/user.entity';

/** The caller of a request, as the auth guard resolved it (see @CurrentUser()). */
export interface AuthUser {
  id: string;
  email: string;
  username: string;
  roles: Role[];
  /**
   * The refresh-token family (sign-in) this access token belongs to. Absent for Azure AD access
   * tokens: Azure AD owns their lifetime, so there is no sign-in of ours to revoke.
   */
  sessionId?: string;
  /** How the token arrived: cookie-authenticated writes must carry the CSRF token. */
  via: 'bearer' | 'cookie';
  /** The account row the guard loaded for this request (GET /auth/me answers it, no second query). */
  account: User;
}

/** The caller from the account row the authentication step loaded. */
export function authUserOf(account: User, via: AuthUser['via'], sessionId?: string): AuthUser {
  return { id: account.id, email: account.email, username: account.username, roles: account.roles, sessionId, via, account };
}
