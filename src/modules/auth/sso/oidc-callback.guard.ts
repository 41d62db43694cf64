import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { createValidationPipe } from '../../../common/http/validation';
import { SsoCallbackDto, SsoCallbackQueryDto } from './dto/sso.dto';
import type { SsoSignIn } from './sso.service';

export const SSO_SIGN_IN = 'ssoSignIn';

/**
 * Runs the `oidc` strategy on the callback routes. Guards run before pipes, so the input is
 * validated here with the global pipe's rules (unknown fields refused) before any IdP call.
 */
@Injectable()
export class OidcCallbackGuard extends AuthGuard('oidc') {
  private readonly pipe = createValidationPipe();

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.method === 'GET') {
      // Express 5's req.query is a getter: validate, but keep the parsed object.
      await this.pipe.transform(req.query, { type: 'query', metatype: SsoCallbackQueryDto });
    } else {
      req.body = await this.pipe.transform(req.body, { type: 'body', metatype: SsoCallbackDto });
    }
    return (await super.canActivate(context)) as boolean;
  }

  override getAuthenticateOptions(): ReturnType<InstanceType<ReturnType<typeof AuthGuard>>['getAuthenticateOptions']> {
    return { session: false, property: SSO_SIGN_IN };
  }

  override handleRequest<TResult = SsoSignIn>(error: unknown, result: SsoSignIn | false): TResult {
    if (error) throw error;
    if (!result) throw new AppException(ErrorCode.AuthenticationRequired, 'Sign-in could not be completed');
    return result as TResult;
  }
}
