import { Injectable, Logger } from '@nestjs/common';
import type { ExtendedError } from 'socket.io';
import type { AuthUser } from '../../common/auth/auth-user';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { normalizeError } from '../../common/errors/error-body';
import { AppConfig } from '../../config/app-config';
import { AccessTokenVerifier } from '../auth/access-token.verifier';
import { AuthCookies } from '../auth/auth-cookies';
import { ConnectionLimiter } from './connection-limiter';
import type { RealtimeSocket } from './realtime.events';

/**
 * Namespace middleware: a socket connects only with a valid access token and under the
 * per-user connection cap. Anything else is a `connect_error` whose `data` is `{code, message}`.
 * The token (handshake `auth.token`, the access cookie, or `?token=`) is never logged.
 */
@Injectable()
export class RealtimeAuthMiddleware {
  private readonly logger = new Logger(RealtimeAuthMiddleware.name);

  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly cookies: AuthCookies,
    private readonly limiter: ConnectionLimiter,
    private readonly config: AppConfig,
  ) {}

  readonly use = (socket: RealtimeSocket, next: (err?: ExtendedError) => void): void => {
    this.authenticate(socket).then(
      () => next(),
      (error: unknown) => {
        const { exception, unexpected } = normalizeError(error);
        if (unexpected) this.logger.error({ err: error }, 'Socket authentication failed unexpectedly');
        const refused: ExtendedError = new Error(exception.message);
        refused.data = { code: exception.code, message: exception.message };
        next(refused);
      },
    );
  };

  private async authenticate(socket: RealtimeSocket): Promise<void> {
    const { token, via } = this.tokenOf(socket);
    const verified = await this.verifier.verify(token, via);
    const { user } = verified;
    if (!(await this.limiter.acquire(user.id, socket.id))) {
      throw new AppException(ErrorCode.ConnectionLimit, `At most ${this.limiter.maxPerUser} concurrent connections per user`);
    }
    socket.once('disconnect', () => {
      this.limiter.release(user.id, socket.id).catch((error: unknown) => this.logger.warn({ err: error }, 'Could not release a connection slot'));
    });
    socket.data.user = user;
    socket.data.expiresAt = verified.expiresAt;
  }

  private tokenOf(socket: RealtimeSocket): { token?: string; via: AuthUser['via'] } {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    if (typeof auth?.token === 'string' && auth.token) return { token: auth.token.replace(/^Bearer\s+/i, ''), via: 'bearer' };
    if (this.config.auth.cookies) {
      const cookie = parseCookies(socket.handshake.headers.cookie)[this.cookies.names.access];
      if (cookie) return { token: cookie, via: 'cookie' };
    }
    const query = socket.handshake.query.token;
    if (typeof query === 'string' && query) return { token: query, via: 'bearer' };
    return { via: 'bearer' };
  }
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index < 1) continue;
    const name = part.slice(0, index).trim();
    let value = part.slice(index + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      cookies[name] ??= decodeURIComponent(value);
    } catch {
      cookies[name] ??= value;
    }
  }
  return cookies;
}
