import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiFoundResponse, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../../../common/auth/public.decorator';
import { ErrorCode } from '../../../common/errors/error-code';
import { ApiEnvelope, ApiErrors } from '../../../common/openapi/api-docs.decorators';
import { AuthRateLimit } from '../../../common/rate-limit/auth-rate-limit.decorator';
import { AuthCookies } from '../auth-cookies';
import { AuthResponses } from '../auth-responses';
import { AuthService } from '../auth.service';
import { TokenResponseDto } from '../dto/auth.dto';
import { ExchangeCodeDto, SsoAuthUrlDto, SsoCallbackDto, SsoCallbackQueryDto, SsoLoginDto } from './dto/sso.dto';
import { OidcCallbackGuard, SSO_SIGN_IN } from './oidc-callback.guard';
import { SsoService, SsoSignIn } from './sso.service';

type SignedInRequest = Request & { [SSO_SIGN_IN]: SsoSignIn };

const PROVIDER = { name: 'provider', description: 'A configured OpenID Connect provider, e.g. `azure`' } as const;

/** Single sign-on with Azure AD and any other configured OpenID Connect provider. */
@ApiTags('auth')
@Public()
@AuthRateLimit()
@Controller('auth')
export class SsoController {
  constructor(
    private readonly sso: SsoService,
    private readonly auth: AuthService,
    private readonly responses: AuthResponses,
    private readonly cookies: AuthCookies,
  ) {}

  /**
   * JSON clients: the IdP URL to send the browser to, and the state to echo in the callback. The
   * `sso_binding` cookie set here must come back with the callback (and the exchange).
   */
  @Post(':provider/login')
  @HttpCode(200)
  @ApiParam(PROVIDER)
  @ApiErrors(ErrorCode.ServiceUnavailable)
  async login(
    @Param('provider') provider: string,
    @Body() dto: SsoLoginDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SsoAuthUrlDto> {
    const binding = this.cookies.startSsoBinding(req, res);
    const { authUrl, state } = await this.sso.begin(provider, dto.redirect_url, requestOrigin(req), binding);
    return { auth_url: authUrl, state };
  }

  /** Browsers: 302 to the IdP. After sign-in the browser lands on `redirect_url?code=...`. */
  @Get(':provider/login')
  @ApiParam(PROVIDER)
  @ApiFoundResponse({ description: 'Redirect to the identity provider' })
  @ApiErrors(ErrorCode.ServiceUnavailable)
  async loginRedirect(
    @Param('provider') provider: string,
    @Query() query: SsoLoginDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const binding = this.cookies.startSsoBinding(req, res);
    const { authUrl } = await this.sso.begin(provider, query.redirect_url, requestOrigin(req), binding);
    res.redirect(302, authUrl);
  }

  /** The IdP's authorization response relayed as JSON: our tokens and the user. */
  @Post(':provider/callback')
  @HttpCode(200)
  @UseGuards(OidcCallbackGuard)
  @ApiParam(PROVIDER)
  @ApiErrors(ErrorCode.AuthenticationRequired, ErrorCode.AccessDenied, ErrorCode.CsrfFailed, ErrorCode.Conflict, ErrorCode.ServiceUnavailable)
  async callback(@Body() dto: SsoCallbackDto, @Req() req: SignedInRequest, @Res({ passthrough: true }) res: Response): Promise<TokenResponseDto> {
    const issued = await this.auth.startSession(req[SSO_SIGN_IN].user);
    this.cookies.clearSsoBinding(res);
    return this.responses.respond(issued, dto.set_cookies, res);
  }

  /**
   * The redirect URI registered with the IdP. With a `redirect_url` from the login step: 302 there
   * with a one-time `code` for POST /auth/exchange (tokens never travel in a URL). Without one:
   * the tokens, as the POST callback answers.
   */
  @Get(':provider/callback')
  @UseGuards(OidcCallbackGuard)
  @ApiParam(PROVIDER)
  @ApiQuery({ type: SsoCallbackQueryDto })
  @ApiFoundResponse({ description: 'Redirect to redirect_url with a one-time code' })
  @ApiEnvelope(TokenResponseDto, { status: 200, description: 'Without a redirect_url: the tokens and the user' })
  @ApiErrors(ErrorCode.AuthenticationRequired, ErrorCode.AccessDenied, ErrorCode.CsrfFailed, ErrorCode.Conflict, ErrorCode.ServiceUnavailable)
  async callbackRedirect(@Req() req: SignedInRequest, @Res() res: Response): Promise<void> {
    const { user, redirectUrl } = req[SSO_SIGN_IN];
    if (redirectUrl) {
      const target = new URL(redirectUrl);
      // The binding cookie stays: the exchange must come from this browser too.
      target.searchParams.set('code', await this.sso.issueExchangeCode(user, this.cookies.ssoBinding(req)!));
      res.redirect(302, target.href);
      return;
    }
    const issued = await this.auth.startSession(user);
    this.cookies.clearSsoBinding(res);
    res.status(200).json({ status: true, data: this.responses.respond(issued, false, res) });
  }

  /** The one-time code from the redirect -> tokens, or HTTP-only cookies with `set_cookies: true`. */
  @Post('exchange')
  @HttpCode(200)
  @ApiErrors(ErrorCode.AuthenticationRequired, ErrorCode.AccessDenied, ErrorCode.CsrfFailed)
  async exchange(@Body() dto: ExchangeCodeDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<TokenResponseDto> {
    if (dto.set_cookies) this.cookies.assertSameSiteSignIn(req);
    const issued = await this.sso.exchange(dto.code, this.cookies.ssoBinding(req));
    this.cookies.clearSsoBinding(res);
    return this.responses.respond(issued, dto.set_cookies, res);
  }
}

/** This server's origin as the client reached it (TRUST_PROXY decides whether X-Forwarded-* count). */
function requestOrigin(req: Request): string {
  return `${req.protocol}://${req.host}`;
}
