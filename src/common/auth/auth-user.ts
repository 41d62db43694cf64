import type { Role } from './role';

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
}
