import type { AuthUser } from '../../common/auth/auth-user';
import type { User } from '../users/user.entity';

/**
 * The caller as the access-token check resolved it on every transport, with the account row it
 * loaded (GET /auth/me answers it, no second query). Whatever reads only `AuthUser` (the common
 * layer's view) sees the same object.
 */
export interface AuthenticatedUser extends AuthUser {
  account: User;
}

export function authenticatedUser(account: User, via: AuthUser['via'], sessionId?: string): AuthenticatedUser {
  return { id: account.id, email: account.email, username: account.username, roles: account.roles, sessionId, via, account };
}
