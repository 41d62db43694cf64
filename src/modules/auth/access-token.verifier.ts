import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { type AuthUser, authUserOf } from '../../common/auth/auth-user';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import { UsersRepository } from '../users/users.repository';
import { AccessTokenClaims, hasRequiredClaims, JWT_ALGORITHM } from './tokens.service';

export interface VerifiedAccessToken {
  user: AuthUser & { sessionId: string };
  /** Seconds since the epoch. */
  expiresAt: number;
}

/**
 * Verifies one of our access tokens outside an HTTP request (Socket.IO handshakes): the same
 * pinned algorithm, issuer and audience as JwtStrategy, then the same "enabled and not logged
 * out" check. Throws TOKEN_EXPIRED or AUTHENTICATION_REQUIRED.
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
    private readonly users: UsersRepository,
  ) {}

  async verify(token: string | undefined, via: AuthUser['via'] = 'bearer'): Promise<VerifiedAccessToken> {
    if (!token) throw new AppException(ErrorCode.AuthenticationRequired, 'A valid access token is required');
    let claims: AccessTokenClaims & { exp: number };
    try {
      claims = await this.jwt.verifyAsync(token, {
        // @nestjs/jwt types this as string | Buffer; jsonwebtoken takes a KeyObject (faster).
        secret: this.config.auth.jwtKey as unknown as Buffer,
        algorithms: [JWT_ALGORITHM],
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
      });
    } catch (error) {
      if ((error as { name?: string }).name === 'TokenExpiredError') {
        throw new AppException(ErrorCode.TokenExpired, 'Access token has expired', { refresh_required: true });
      }
      throw new AppException(ErrorCode.AuthenticationRequired, 'A valid access token is required');
    }
    if (!hasRequiredClaims(claims)) {
      throw new AppException(ErrorCode.AuthenticationRequired, 'A valid access token is required');
    }
    const user = await this.isActive(claims.sub, claims.sid);
    if (!user) throw new AppException(ErrorCode.AuthenticationRequired, 'A valid access token is required');
    return {
      user: { ...authUserOf(user, via, claims.sid), sessionId: claims.sid },
      expiresAt: claims.exp,
    };
  }

  /** The account is enabled and this sign-in (refresh family) has not been revoked. */
  isActive(userId: string, sessionId: string) {
    return this.users.findActiveForSession(userId, sessionId);
  }
}
