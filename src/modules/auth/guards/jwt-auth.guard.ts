import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import type { AuthUser } from '../../../common/auth/auth-user';
import { assertCsrf, isStateChanging } from '../../../common/auth/csrf';
import { IS_PUBLIC } from '../../../common/auth/public.decorator';
import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { AuthCookies } from '../auth-cookies';

/**
 * The global guard: every HTTP route needs a valid access token unless marked @Public(). Our own
 * tokens first (`jwt`); a Bearer token that is not ours may be an Azure AD access token for our
 * API (`azure-bearer`, which stays silent for anything else).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(['jwt', 'azure-bearer']) {
  constructor(
    private readonly reflector: Reflector,
    private readonly cookies: AuthCookies,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    return super.canActivate(context);
  }

  override handleRequest<TUser = AuthUser>(error: unknown, user: AuthUser | false, info: unknown, context: ExecutionContext): TUser {
    if (error) throw error;
    if (!user) {
      // One reason per strategy that failed (an array when several did).
      const reasons = (Array.isArray(info) ? info : [info]) as Array<{ name?: string; expiredAt?: Date } | undefined>;
      const reason = reasons.find((candidate) => candidate?.name === 'TokenExpiredError');
      if (reason) {
        throw new AppException(ErrorCode.TokenExpired, 'Access token has expired', {
          expired_at: reason.expiredAt?.toISOString(),
          refresh_required: true,
        });
      }
      throw new AppException(ErrorCode.AuthenticationRequired, 'A valid access token is required');
    }
    const req = context.switchToHttp().getRequest<Request>();
    if (user.via === 'cookie' && isStateChanging(req)) assertCsrf(req, this.cookies.names.csrf);
    return user as TUser;
  }
}
