import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';

export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isStateChanging(req: Request): boolean {
  return !SAFE_METHODS.has(req.method.toUpperCase());
}

/**
 * Double-submit check for cookie-authenticated writes: the readable CSRF cookie must be echoed
 * in X-CSRF-Token. A cross-site page can make the browser send cookies, but cannot read them.
 */
export function assertCsrf(req: Request, cookieName: string): void {
  const cookie: unknown = req.cookies?.[cookieName];
  const header = req.headers[CSRF_HEADER];
  if (typeof cookie !== 'string' || typeof header !== 'string' || cookie.length === 0) {
    throw new AppException(ErrorCode.CsrfFailed, 'Missing CSRF token: echo the csrf_token cookie in X-CSRF-Token');
  }
  const a = Buffer.from(cookie);
  const b = Buffer.from(header);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new AppException(ErrorCode.CsrfFailed, 'CSRF token mismatch');
  }
}
