import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AuthUser } from '../../common/auth/auth-user';
import { assertCsrf } from '../../common/auth/csrf';
import { CurrentUser } from '../../common/auth/current-user.decorator';
import { Public } from '../../common/auth/public.decorator';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { Envelope } from '../../common/http/envelope';
import { ApiEnvelope, ApiErrors } from '../../common/openapi/api-docs.decorators';
import { AuthRateLimit } from '../../common/rate-limit/auth-rate-limit.decorator';
import { AppConfig } from '../../config/app-config';
import { mapUser, UserDto } from '../users/dto/user.dto';
import type { AuthenticatedUser } from './authenticated-user';
import { AuthCookies } from './auth-cookies';
import { AuthResponses } from './auth-responses';
import { AuthService, IssuedTokens } from './auth.service';
import { LoginDto, RefreshDto, RegisterDto, TokenResponseDto } from './dto/auth.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly cookies: AuthCookies,
    private readonly responses: AuthResponses,
    private readonly config: AppConfig,
  ) {}

  /** Creates a local account and signs it in. Extra fields (e.g. `roles`) are refused. */
  @Public()
  @AuthRateLimit()
  @Post('register')
  @ApiErrors(ErrorCode.Conflict, ErrorCode.AccessDenied, ErrorCode.CsrfFailed)
  async register(@Body() dto: RegisterDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<TokenResponseDto> {
    if (dto.set_cookies) this.cookies.assertSameSiteSignIn(req);
    const issued = await this.auth.register(dto);
    return this.respond(issued, dto.set_cookies, res);
  }

  /** JSON `{username|email, password}` or the OAuth2 password form. */
  @Public()
  @AuthRateLimit()
  @Post('login')
  @HttpCode(200)
  @ApiErrors(ErrorCode.AuthenticationRequired, ErrorCode.AccessDenied)
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  async login(@Body() dto: LoginDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<TokenResponseDto> {
    if (dto.set_cookies) this.cookies.assertSameSiteSignIn(req);
    const issued = await this.auth.login((dto.username ?? dto.email)!, dto.password);
    return this.respond(issued, dto.set_cookies, res);
  }

  /**
   * Rotates the refresh token (body, or the refresh cookie with X-CSRF-Token) and answers in
   * the login shape. Reusing a rotated token after the grace window revokes its sign-in.
   */
  @Public()
  @AuthRateLimit()
  @Post('refresh')
  @HttpCode(200)
  @ApiErrors(ErrorCode.AuthenticationRequired, ErrorCode.CsrfFailed)
  async refresh(@Body() dto: RefreshDto, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<TokenResponseDto> {
    let token = dto.refresh_token;
    let fromCookie = false;
    if (!token && this.config.auth.cookies) {
      token = this.cookies.refreshToken(req);
      fromCookie = token !== undefined;
      if (fromCookie) assertCsrf(req, this.cookies.names.csrf);
    }
    if (!token) throw new AppException(ErrorCode.AuthenticationRequired, 'A refresh token is required');
    // A refresh token from the body turned into cookies would be a session planted by a cross-site form.
    if (dto.set_cookies && !fromCookie) this.cookies.assertSameSiteSignIn(req);
    const issued = await this.auth.refresh(token);
    return this.respond(issued, dto.set_cookies ?? fromCookie, res);
  }

  /** Ends this sign-in: its refresh tokens and access tokens stop working; cookies are cleared. */
  @Post('logout')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiEnvelope(null, { message: true })
  @ApiErrors(ErrorCode.BadRequest)
  async logout(@CurrentUser() user: AuthUser, @Res({ passthrough: true }) res: Response): Promise<Envelope<null>> {
    await this.auth.logout(user.sessionId);
    this.cookies.clear(res);
    return Envelope.withMessage(null, 'Successfully logged out');
  }

  /** The signed-in user's profile. */
  @Get('me')
  @ApiBearerAuth()
  me(@CurrentUser() user: AuthenticatedUser): UserDto {
    return mapUser(user.account);
  }

  private respond(issued: IssuedTokens, setCookies: boolean | undefined, res: Response): TokenResponseDto {
    return this.responses.respond(issued, setCookies, res);
  }
}
