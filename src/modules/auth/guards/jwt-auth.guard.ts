import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { AuthUser } from '../../../common/auth/auth-user';
import { assertCsrf, isStateChanging } from '../../../common/auth/csrf';
import { IS_PUBLIC } from '../../../common/auth/public.decorator';
import { routeMetadataReader } from '../../../common/http/route-metadata';
import { AppConfig } from '../../../config/app-config';
import { AccessTokenVerifier, bearerToken } from '../access-token.verifier';
import { AuthCookies } from '../auth-cookies';

/**
 * The global guard: every HTTP route needs a valid access token unless marked @Public(). The
 * token comes from `Authorization: Bearer`, else the access cookie; AccessTokenVerifier (the
 * same check the sockets use) decides. Cookie-authenticated writes must pass the CSRF check.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly isPublic: (context: ExecutionContext) => boolean | undefined;

  constructor(
    reflector: Reflector,
    private readonly cookies: AuthCookies,
    private readonly verifier: AccessTokenVerifier,
    private readonly config: AppConfig,
  ) {
    this.isPublic = routeMetadataReader<boolean>(reflector, IS_PUBLIC);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    if (this.isPublic(context)) return true;
    const req = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    const { token, via } = this.tokenOf(req);
    const { user } = await this.verifier.verify(token, via);
    if (via === 'cookie' && isStateChanging(req)) assertCsrf(req, this.cookies.names.csrf);
    req.user = user;
    return true;
  }

  private tokenOf(req: Request): { token?: string; via: AuthUser['via'] } {
    const bearer = bearerToken(req.headers.authorization);
    if (bearer) return { token: bearer, via: 'bearer' };
    const cookie = this.config.auth.cookies ? this.cookies.accessToken(req) : undefined;
    return cookie ? { token: cookie, via: 'cookie' } : { via: 'bearer' };
  }
}
