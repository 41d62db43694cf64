import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { type AuthUser, authUserOf } from '../../common/auth/auth-user';
import { AppConfig } from '../../config/app-config';
import { UsersRepository } from '../users/users.repository';
import { AuthCookies } from './auth-cookies';
import { AccessTokenClaims, hasRequiredClaims, JWT_ALGORITHM } from './tokens.service';

type AuthRequest = Request & { authVia?: AuthUser['via'] };

const fromBearer = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * Verifies our access tokens (pinned HS256, iss, aud, exp) from the Authorization header or
 * the access cookie, then checks on every request that the account is enabled and the sign-in
 * not revoked, so disabling a user or logging out takes effect at once.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    cookies: AuthCookies,
    private readonly users: UsersRepository,
  ) {
    super({
      jwtFromRequest: (req: AuthRequest) => {
        const bearer = fromBearer(req);
        if (bearer) {
          req.authVia = 'bearer';
          return bearer;
        }
        const cookie = config.auth.cookies ? cookies.accessToken(req) : undefined;
        if (cookie) req.authVia = 'cookie';
        return cookie ?? null;
      },
      // passport-jwt types this as string | Buffer; jsonwebtoken takes a KeyObject (faster).
      secretOrKey: config.auth.jwtKey as unknown as Buffer,
      algorithms: [JWT_ALGORITHM],
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      passReqToCallback: true,
    });
  }

  async validate(req: AuthRequest, claims: AccessTokenClaims): Promise<AuthUser | false> {
    if (!hasRequiredClaims(claims)) return false;
    const user = await this.users.findActiveForSession(claims.sub, claims.sid);
    if (!user) return false;
    return authUserOf(user, req.authVia ?? 'bearer', claims.sid);
  }
}
