import { Injectable } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';

export interface CookieNames {
  access: string;
  refresh: string;
  csrf: string;
}

/**
 * Cookie mode: tokens in HTTP-only cookies (SameSite=Lax), plus a readable CSRF cookie for the
 * double-submit check. In production they are `Secure` and `__Host-` prefixed (bound to this
 * host, path /).
 */
@Injectable()
export class AuthCookies {
  readonly names: CookieNames;
  private readonly secure: boolean;

  constructor(private readonly config: AppConfig) {
    this.secure = config.isProduction;
    const prefix = this.secure ? '__Host-' : '';
    this.names = { access: `${prefix}access_token`, refresh: `${prefix}refresh_token`, csrf: `${prefix}csrf_token` };
  }

  accessToken(req: Request): string | undefined {
    return stringCookie(req, this.names.access);
  }

  refreshToken(req: Request): string | undefined {
    return stringCookie(req, this.names.refresh);
  }

  set(res: Response, tokens: { accessToken: string; refreshToken: string; csrfToken: string }): void {
    const base: CookieOptions = { secure: this.secure, sameSite: 'lax', path: '/' };
    res.cookie(this.names.access, tokens.accessToken, { ...base, httpOnly: true, maxAge: this.config.auth.accessTtlSeconds * 1000 });
    res.cookie(this.names.refresh, tokens.refreshToken, { ...base, httpOnly: true, maxAge: this.config.auth.refreshTtlSeconds * 1000 });
    res.cookie(this.names.csrf, tokens.csrfToken, { ...base, httpOnly: false, maxAge: this.config.auth.refreshTtlSeconds * 1000 });
  }

  /**
   * Cookie-mode sign-ins only from our own origin or a CORS_ORIGINS app: a cross-site form post
   * could otherwise plant the attacker's session in the victim's browser (login CSRF). Clients
   * that send neither Origin nor Sec-Fetch-Site are not browsers and pass.
   */
  assertSameSiteSignIn(req: Request): void {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (origin === `${req.protocol}://${req.host}` || this.config.http.corsOrigins.includes(origin)) return;
      throw new AppException(ErrorCode.CsrfFailed, 'Cookie sign-in from this origin is refused (not in CORS_ORIGINS)');
    }
    if (req.headers['sec-fetch-site'] === 'cross-site') {
      throw new AppException(ErrorCode.CsrfFailed, 'Cookie sign-in from another site is refused');
    }
  }

  clear(res: Response): void {
    const base: CookieOptions = { secure: this.secure, sameSite: 'lax', path: '/' };
    for (const name of Object.values(this.names)) res.clearCookie(name, base);
  }
}

function stringCookie(req: Request, name: string): string | undefined {
  const value: unknown = req.cookies?.[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
