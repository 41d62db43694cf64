import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../../common/auth/auth-user';
import type { User } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';

/**
 * "The account is enabled and this sign-in has not ended", asked on every authenticated request
 * and by the sockets' periodic re-check.
 */
@Injectable()
export class SessionChecks {
  constructor(private readonly users: UsersRepository) {}

  /** The account behind one of our access tokens, if enabled and its refresh family is live. */
  activeAccount(userId: string, sessionId: string): Promise<User | null> {
    return this.users.findActiveForSession(userId, sessionId);
  }

  /** Without a sign-in of ours (Azure AD access tokens) only the account itself can end it. */
  async isActive(user: Pick<AuthUser, 'id' | 'sessionId'>): Promise<boolean> {
    if (user.sessionId) return (await this.activeAccount(user.id, user.sessionId)) !== null;
    const account = await this.users.findById(user.id);
    return account !== null && !account.disabled;
  }
}
