import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { hashToken } from '../../common/crypto/hash-token';
import { AppConfig } from '../../config/app-config';
import type { Role } from '../../common/auth/role';

/** Claims of our access tokens (besides iss, aud, exp, iat, jti). */
export interface AccessTokenClaims {
  sub: string;
  email: string;
  username: string;
  roles: Role[];
  /** Refresh-token family: revoking it (logout, reuse) ends this access token too. */
  sid: string;
}

export const JWT_ALGORITHM = 'HS256';

@Injectable()
export class TokensService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  signAccessToken(claims: AccessTokenClaims): string {
    return this.jwt.sign(claims, {
      algorithm: JWT_ALGORITHM,
      privateKey: this.config.auth.jwtKey,
      issuer: this.config.auth.issuer,
      audience: this.config.auth.audience,
      expiresIn: this.config.auth.accessTtlSeconds,
      jwtid: randomUUID(),
    });
  }

  /** Opaque (not a JWT), so it can never pass as an access token; only its hash is stored. */
  newRefreshToken(): { token: string; hash: string } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: hashToken(token) };
  }

  /**
   * The one successor of a refresh token, derived from it with a server key: a token presented
   * twice inside the grace window gets the same successor back, so a sign-in never forks.
   */
  successorOf(refreshToken: string): { token: string; hash: string } {
    const token = createHmac('sha256', this.config.auth.jwtKey).update(`refresh-successor:${refreshToken}`).digest('base64url');
    return { token, hash: hashToken(token) };
  }

  newCsrfToken(): string {
    return randomBytes(24).toString('base64url');
  }
}

// Lives in common/crypto (consent uses it too); re-exported for the auth module's callers.
export { hashToken };

/**
 * jsonwebtoken checks `exp` only when present: a token without one would never expire. Ours
 * always carry exp and iat, so a token lacking either was not minted by this code path.
 */
export function hasRequiredClaims(claims: Partial<AccessTokenClaims> & { exp?: unknown; iat?: unknown }): boolean {
  return (
    typeof claims.sub === 'string' && typeof claims.sid === 'string' && typeof claims.exp === 'number' && typeof claims.iat === 'number'
  );
}
