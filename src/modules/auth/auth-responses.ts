import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { AppConfig } from '../../config/app-config';
import { mapUser } from '../users/dto/user.dto';
import { AuthCookies } from './auth-cookies';
import type { IssuedTokens } from './auth.service';
import type { TokenResponseDto } from './dto/auth.dto';
import { TokensService } from './tokens.service';

/** Turns issued tokens into the login-shaped body, or into cookies (cookie mode) plus the CSRF token. */
@Injectable()
export class AuthResponses {
  constructor(
    private readonly cookies: AuthCookies,
    private readonly tokens: TokensService,
    private readonly config: AppConfig,
  ) {}

  respond(issued: IssuedTokens, setCookies: boolean | undefined, res: Response): TokenResponseDto {
    // Tokens must not be kept by browser or proxy caches (RFC 6749 section 5.1).
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    const body: TokenResponseDto = { token_type: 'bearer', expires_in: issued.expiresIn, user: mapUser(issued.user) };
    if (setCookies && this.config.auth.cookies) {
      const csrfToken = this.tokens.newCsrfToken();
      this.cookies.set(res, { accessToken: issued.accessToken, refreshToken: issued.refreshToken, csrfToken });
      return { ...body, csrf_token: csrfToken };
    }
    return { access_token: issued.accessToken, refresh_token: issued.refreshToken, ...body };
  }
}
