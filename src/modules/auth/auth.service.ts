import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { isUniqueViolation } from '../../database/pg-errors';
import { User } from '../users/user.entity';
import { initialLocalRoles } from '../users/user-roles';
import { UsersRepository } from '../users/users.repository';
import { AccountsService } from './accounts/accounts.service';
import { PasswordsService } from './passwords.service';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { emailAllowed } from './sso/sso-identity';
import { hashToken, TokensService } from './tokens.service';

/** A signed-in session's credentials, before they are mapped to a body or cookies. */
export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
}

const INVALID_CREDENTIALS = 'Invalid username/email or password';
const INVALID_REFRESH = 'Refresh token is invalid, expired or revoked';

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UsersRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly tokens: TokensService,
    private readonly passwords: PasswordsService,
    private readonly config: AppConfig,
    private readonly accounts: AccountsService,
  ) {}

  async register(input: { email: string; username: string; password: string; name?: string }): Promise<IssuedTokens> {
    const email = input.email.trim().toLowerCase();
    this.assertRegistrationAllowed(email);
    const passwordHash = await this.passwords.hash(input.password);
    let user: User;
    try {
      user = await this.users.create({
        email,
        username: input.username,
        displayName: input.name?.trim() || null,
        passwordHash,
        // Admins: npm run admin:grant (see initialLocalRoles).
        roles: initialLocalRoles(),
        authProvider: 'local',
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppException(ErrorCode.Conflict, 'An account with this email or username already exists');
      }
      throw error;
    }
    this.logger.log({ user_id: user.id }, 'User registered');
    this.accounts.sendVerification(user);
    return this.startSession(user);
  }

  /** Unknown user and wrong password answer alike (same code, message and argon2 work). */
  async login(identifier: string, password: string): Promise<IssuedTokens> {
    const user = await this.users.findForLogin(identifier.trim());
    const valid = await this.passwords.verify(user?.passwordHash, password);
    if (!user || !valid) throw new AppException(ErrorCode.AuthenticationRequired, INVALID_CREDENTIALS);
    if (user.disabled) throw new AppException(ErrorCode.AccessDenied, 'This account is disabled');
    return this.startSession(user);
  }

  /**
   * Rotates a refresh token under its sign-in's row lock. Presented again inside the grace window
   * (two tabs), it answers with the same successor; after it, the token was copied and the whole
   * family (that sign-in, on every device holding it) is revoked.
   */
  async refresh(refreshToken: string): Promise<IssuedTokens> {
    const tokenHash = hashToken(refreshToken);
    const grace = this.config.auth.refreshReuseGraceSeconds;
    const known = await this.refreshTokens.findByHash(tokenHash);
    if (!known) throw new AppException(ErrorCode.AuthenticationRequired, INVALID_REFRESH);
    // Read before the transaction: a lookup on another pooled connection while holding the lock could starve the pool.
    const user = await this.users.findById(known.userId);
    const rotated = await this.refreshTokens.transaction(async (tx) => {
      const family = await tx.lockFamily(known.familyId);
      // Read the token only now: a rotation or logout that held the lock is visible.
      const presented = await tx.findPresented(tokenHash, grace);
      if (!family || !presented || family.revokedAt || presented.dead) return null;
      if (presented.used && !presented.usedWithinGrace) {
        await tx.revokeFamily(family.id);
        this.logger.warn({ user_id: presented.userId, family_id: family.id }, 'Refresh token reuse: family revoked');
        return null;
      }
      if (!user || user.disabled) {
        await tx.revokeFamily(family.id);
        return null;
      }
      const successor = this.tokens.successorOf(refreshToken);
      if (presented.used) {
        const existing = await tx.findByHash(successor.hash);
        return existing && !existing.revokedAt ? { user, familyId: family.id, refreshToken: successor.token } : null;
      }
      await tx.markUsed(presented.id);
      await tx.insert({ userId: user.id, familyId: family.id, tokenHash: successor.hash, expiresAt: this.refreshExpiry(family.expiresAt) });
      return { user, familyId: family.id, refreshToken: successor.token };
    });
    if (!rotated) throw new AppException(ErrorCode.AuthenticationRequired, INVALID_REFRESH);
    return this.withAccessToken(rotated.user, rotated.familyId, rotated.refreshToken);
  }

  /** `sessionId` is absent for Azure AD access tokens: Azure AD, not us, decides when they end. */
  async logout(sessionId: string | undefined): Promise<void> {
    if (!sessionId) {
      throw new AppException(
        ErrorCode.BadRequest,
        'This request carries an Azure AD access token, which this API cannot revoke: sign out through Azure AD (MSAL logout) instead',
      );
    }
    await this.refreshTokens.transaction((tx) => tx.revokeFamily(sessionId));
  }

  /**
   * A new sign-in (refresh family). SSO accounts get an absolute end (SSO_REFRESH_TTL): after it
   * the user goes back through the IdP, which is when a disabled account or removed role shows.
   */
  async startSession(user: User): Promise<IssuedTokens> {
    const familyId = randomUUID();
    const familyEnd = user.authProvider === 'local' ? null : new Date(Date.now() + this.config.auth.ssoRefreshTtlSeconds * 1000);
    const refresh = this.tokens.newRefreshToken();
    await this.refreshTokens.transaction(async (tx) => {
      await tx.insertFamily({ id: familyId, userId: user.id, expiresAt: familyEnd });
      await tx.insert({ userId: user.id, familyId, tokenHash: refresh.hash, expiresAt: this.refreshExpiry(familyEnd) });
    });
    return this.withAccessToken(user, familyId, refresh.token);
  }

  private refreshExpiry(familyEnd: Date | null): Date {
    const sliding = new Date(Date.now() + this.config.auth.refreshTtlSeconds * 1000);
    return familyEnd && familyEnd < sliding ? familyEnd : sliding;
  }

  private withAccessToken(user: User, familyId: string, refreshToken: string): IssuedTokens {
    const accessToken = this.tokens.signAccessToken({
      sub: user.id,
      email: user.email,
      username: user.username,
      roles: user.roles,
      sid: familyId,
    });
    return { accessToken, refreshToken, expiresIn: this.config.auth.accessTtlSeconds, user };
  }

  /**
   * ALLOW_LOCAL_REGISTRATION, and the SSO email allow-lists: otherwise anyone could register a
   * colleague's address before the colleague signs in through the IdP.
   */
  private assertRegistrationAllowed(email: string): void {
    if (!this.config.auth.allowLocalRegistration) {
      throw new AppException(ErrorCode.AccessDenied, 'Registration with a password is disabled here: sign in with single sign-on');
    }
    if (!emailAllowed(email, this.config.sso)) {
      throw new AppException(ErrorCode.AccessDenied, 'This email address is not allowed to register here');
    }
  }
}
