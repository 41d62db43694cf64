import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppConfig } from '../../config/app-config';
import type { Role } from '../users/user.entity';

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

  newCsrfToken(): string {
    return randomBytes(24).toString('base64url');
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
