import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import type { SsoCallbackDto, SsoCallbackQueryDto } from './dto/sso.dto';
import { RequestStrategy } from './request.strategy';
import { SsoService, SsoSignIn } from './sso.service';
import { AuthCookies } from '../auth-cookies';

/**
 * Passport strategy `oidc`: finishes an OpenID Connect sign-in from the IdP's authorization
 * response (query of GET /auth/{provider}/callback, or the JSON body of the POST), through
 * openid-client. The guard has validated the input already.
 */
@Injectable()
export class OidcCallbackStrategy extends PassportStrategy(RequestStrategy, 'oidc') {
  constructor(
    private readonly sso: SsoService,
    private readonly cookies: AuthCookies,
  ) {
    super();
  }

  async validate(req: Request): Promise<SsoSignIn> {
    const provider = String(req.params.provider);
    const input = (req.method === 'GET' ? req.query : req.body) as SsoCallbackDto & Partial<SsoCallbackQueryDto>;
    if (input.error) {
      const reason = input.error_description ? `${input.error}: ${input.error_description}` : input.error;
      throw new AppException(ErrorCode.AccessDenied, `The identity provider did not sign you in (${reason})`);
    }
    if (!input.code) throw AppException.validation({ code: ['code is required'] });
    if (input.set_cookies) this.cookies.assertSameSiteSignIn(req);
    return this.sso.complete(provider, { code: input.code, state: input.state, iss: input.iss }, this.cookies.ssoBinding(req));
  }
}
