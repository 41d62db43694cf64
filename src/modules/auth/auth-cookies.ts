import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { CookieOptions, Request, Response } from 'express';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';

export interface CookieNames {
  access: string;
  refresh: string;
  csrf: string;
  /** Binds an SSO sign-in (state, one-time code) to the browser that started it. */
  ssoBinding: string;
}

/** As long as a sign-in may take at the IdP (the state's lifetime). */
const SSO_BINDING_MAX_AGE_MS = 10 * 60 * 1000;

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
    this.names = {
      access: `${prefix}access_token`,
      refresh: `${prefix}refresh_token`,
      csrf: `${prefix}csrf_token`,
      ssoBinding: `${prefix}sso_binding`,
    };
  }

  accessToken(req: Request): string | undefined {
    return stringCookie(req, this.names.access);
  }

  refreshToken(req: Request): string | undefined {
    return stringCookie(req, this.names.refresh);
  }

  ssoBinding(req: Request): string | undefined {
    return stringCookie(req, this.names.ssoBinding);
  }

  /**
   * The binding for a new SSO sign-in: this browser's existing one (two tabs signing in at once
   * both finish), else a new random value. HTTP-only, SameSite=Lax: sent on the IdP's top-level
   * redirect back to our callback.
   */
  startSsoBinding(req: Request, res: Response): string {
    const binding = this.ssoBinding(req) ?? randomBytes(32).toString('base64url');
    res.cookie(this.names.ssoBinding, binding, {
      secure: this.secure,
      sameSite: 'lax',
      path: '/',
      httpOnly: true,
      maxAge: SSO_BINDING_MAX_AGE_MS,
    });
    return binding;
  }

  clearSsoBinding(res: Response): void {
    res.clearCookie(this.names.ssoBinding, { secure: this.secure, sameSite: 'lax', path: '/', httpOnly: true });
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
    for (const name of [this.names.access, this.names.refresh, this.names.csrf]) res.clearCookie(name, base);
  }
}

function stringCookie(req: Request, name: string): string | undefined {
  const value: unknown = req.cookies?.[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
