import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { isUniqueViolation } from '../../database/pg-errors';
import { Role, User } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { PasswordsService } from './passwords.service';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { hashToken, TokensService } from './tokens.service';

/** A signed-in session's credentials, before they are mapped to a body or cookies. */
export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: User;
}

const INVALID_CREDENTIALS = 'Invalid username/email or password';

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UsersRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly tokens: TokensService,
    private readonly passwords: PasswordsService,
    private readonly config: AppConfig,
  ) {}

  async register(input: { email: string; username: string; password: string; name?: string }): Promise<IssuedTokens> {
    const email = input.email.trim().toLowerCase();
    const passwordHash = await this.passwords.hash(input.password);
    let user: User;
    try {
      user = await this.users.create({
        email,
        username: input.username,
        displayName: input.name?.trim() || null,
        passwordHash,
        roles: this.rolesFor(email, [Role.User]),
        authProvider: 'local',
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppException(ErrorCode.Conflict, 'An account with this email or username already exists');
      }
      throw error;
    }
    this.logger.log({ user_id: user.id }, 'User registered');
    return this.startSession(user);
  }

  /** Unknown user and wrong password answer alike (same code, message and argon2 work). */
  async login(identifier: string, password: string): Promise<IssuedTokens> {
    const user = await this.users.findForLogin(identifier.trim());
    const valid = await this.passwords.verify(user?.passwordHash, password);
    if (!user || !valid) throw new AppException(ErrorCode.AuthenticationRequired, INVALID_CREDENTIALS);
    if (user.disabled) throw new AppException(ErrorCode.AccessDenied, 'This account is disabled');
    return this.startSession(await this.applyAdminEmails(user));
  }

  /**
   * Rotates a refresh token. A token presented again after the grace window means it was
   * copied: the whole family (that sign-in, on every device holding it) is revoked.
   */
  async refresh(refreshToken: string): Promise<IssuedTokens> {
    const tokenHash = hashToken(refreshToken);
    const claim = await this.refreshTokens.claim(tokenHash, this.config.auth.refreshReuseGraceSeconds);
    if (!claim) {
      const known = await this.refreshTokens.findByHash(tokenHash);
      if (known && !known.revokedAt && known.usedAt) {
        await this.refreshTokens.revokeFamily(known.familyId);
        this.logger.warn({ user_id: known.userId, family_id: known.familyId }, 'Refresh token reuse: family revoked');
      }
      throw new AppException(ErrorCode.AuthenticationRequired, 'Refresh token is invalid, expired or revoked');
    }
    const user = await this.users.findById(claim.userId);
    if (!user || user.disabled) {
      await this.refreshTokens.revokeFamily(claim.familyId);
      throw new AppException(ErrorCode.AuthenticationRequired, 'Refresh token is invalid, expired or revoked');
    }
    return this.issue(user, claim.familyId);
  }

  /** `sessionId` is absent for Azure AD access tokens: Azure AD, not us, decides when they end. */
  async logout(sessionId: string | undefined): Promise<void> {
    if (!sessionId) {
      throw new AppException(
        ErrorCode.BadRequest,
        'This request carries an Azure AD access token, which this API cannot revoke: sign out through Azure AD (MSAL logout) instead',
      );
    }
    await this.refreshTokens.revokeFamily(sessionId);
  }

  async startSession(user: User): Promise<IssuedTokens> {
    return this.issue(user, randomUUID());
  }

  private async issue(user: User, familyId: string): Promise<IssuedTokens> {
    const refresh = this.tokens.newRefreshToken();
    await this.refreshTokens.insert({
      userId: user.id,
      familyId,
      tokenHash: refresh.hash,
      expiresAt: new Date(Date.now() + this.config.auth.refreshTtlSeconds * 1000),
    });
    const accessToken = this.tokens.signAccessToken({
      sub: user.id,
      email: user.email,
      username: user.username,
      roles: user.roles,
      sid: familyId,
    });
    return { accessToken, refreshToken: refresh.token, expiresIn: this.config.auth.accessTtlSeconds, user };
  }

  private rolesFor(email: string, roles: Role[]): Role[] {
    return this.config.auth.adminEmails.includes(email) && !roles.includes(Role.Admin) ? [...roles, Role.Admin] : roles;
  }

  /** ADMIN_EMAILS also promotes accounts that existed before the variable was set. */
  private async applyAdminEmails(user: User): Promise<User> {
    const roles = this.rolesFor(user.email, user.roles);
    if (roles === user.roles) return user;
    return (await this.users.update(user.id, { roles })) ?? user;
  }
}
