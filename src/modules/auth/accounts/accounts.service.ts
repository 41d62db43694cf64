import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { KeyedRateLimiter } from '../../../common/rate-limit/keyed-rate-limiter';
import { AppConfig } from '../../../config/app-config';
import { MailService } from '../../mail/mail.service';
import type { User } from '../../users/user.entity';
import { UsersRepository } from '../../users/users.repository';
import { PasswordsService } from '../passwords.service';
import { hashToken } from '../tokens.service';
import { accountMails } from './account-mails';
import type { EmailTokenPurpose } from './email-token.entity';
import { EmailTokensRepository } from './email-tokens.repository';

const INVALID_LINK = 'This link is invalid, has expired or was already used';
const HOUR = 3600;

/** Email verification and password reset by single-use, expiring tokens sent by mail. */
@Injectable()
export class AccountsService {
  private readonly logger = new Logger(AccountsService.name);

  constructor(
    private readonly users: UsersRepository,
    private readonly emailTokens: EmailTokensRepository,
    private readonly passwords: PasswordsService,
    private readonly mail: MailService,
    private readonly limiter: KeyedRateLimiter,
    private readonly config: AppConfig,
  ) {}

  /** After registration: the verification mail goes out in the background (registration never waits on SMTP). */
  sendVerification(user: Pick<User, 'id' | 'email'>): void {
    this.mail.track(this.mailVerification(user));
  }

  async resendVerification(userId: string): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user) throw new AppException(ErrorCode.AuthenticationRequired, 'Authentication required');
    if (user.emailVerified) throw new AppException(ErrorCode.Conflict, 'This email address is already verified');
    if (user.authProvider !== 'local') {
      throw new AppException(ErrorCode.BadRequest, 'This account signs in through single sign-on: its identity provider verifies the email');
    }
    await this.limiter.consume('verify-email', user.id, this.config.accounts.mailsPerHour, HOUR);
    await this.mailVerification(user);
  }

  async verifyEmail(token: string): Promise<void> {
    const userId = await this.emailTokens.verifyEmail(hashToken(token));
    if (!userId) throw new AppException(ErrorCode.BadRequest, INVALID_LINK);
    this.logger.log({ user_id: userId }, 'Email verified');
  }

  /**
   * Answers alike for every address (no account enumeration): the budget is per address whether
   * or not an account has it, and the lookup, token and mail happen after the response.
   */
  async forgotPassword(email: string): Promise<void> {
    const normalized = email.trim().toLowerCase();
    await this.limiter.consume('password-forgot', normalized, this.config.accounts.mailsPerHour, HOUR);
    this.mail.track(this.mailReset(normalized));
  }

  async resetPassword(token: string, newPassword: string): Promise<void> {
    const tokenHash = hashToken(token);
    // A wrong token must not cost an argon2 hash.
    if (!(await this.emailTokens.isLive(tokenHash, 'reset_password'))) throw new AppException(ErrorCode.BadRequest, INVALID_LINK);
    const passwordHash = await this.passwords.hash(newPassword);
    const userId = await this.emailTokens.resetPassword(tokenHash, passwordHash);
    if (!userId) throw new AppException(ErrorCode.BadRequest, INVALID_LINK);
    this.logger.log({ user_id: userId }, 'Password reset; every sign-in revoked');
  }

  private async mailVerification(user: Pick<User, 'id' | 'email'>): Promise<void> {
    const ttl = this.config.accounts.verifyTtlSeconds;
    const token = await this.issue(user.id, 'verify_email', ttl);
    this.mail.dispatch(accountMails.verifyEmail(user.email, this.link('/verify-email', token), ttl));
  }

  /** SSO accounts have no local password: nothing is sent (the caller has already answered 202). */
  private async mailReset(email: string): Promise<void> {
    const user = await this.users.findLocalByEmail(email);
    if (!user || user.disabled || !user.passwordHash) return;
    const ttl = this.config.accounts.resetTtlSeconds;
    const token = await this.issue(user.id, 'reset_password', ttl);
    this.mail.dispatch(accountMails.resetPassword(user.email, this.link('/reset-password', token), ttl));
  }

  private async issue(userId: string, purpose: EmailTokenPurpose, ttlSeconds: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.emailTokens.issue(userId, purpose, hashToken(token), ttlSeconds);
    return token;
  }

  private link(path: string, token: string): string {
    return `${this.config.accounts.appUrl}${path}?token=${encodeURIComponent(token)}`;
  }
}
