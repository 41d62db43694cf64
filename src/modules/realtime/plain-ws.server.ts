import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { AuthUser } from '../../common/auth/auth-user';
import { normalizeError } from '../../common/errors/error-body';
import { ShutdownService } from '../../common/lifecycle/shutdown.service';
import { AppConfig } from '../../config/app-config';
import { AccessTokenVerifier, bearerToken } from '../auth/access-token.verifier';
import { AuthCookies } from '../auth/auth-cookies';
import { ConnectionLimiter } from './connection-limiter';
import { isAllowedOrigin } from './realtime-io.adapter';
import { parseCookies } from './realtime-auth.middleware';
import { SocketRateLimitGuard } from './socket-rate-limit.guard';

/** RFC 6455 close codes. */
const POLICY_VIOLATION = 1008;
const GOING_AWAY = 1001;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A client frame: a JSON object with a string `type`. */
export type PlainFrame = { type: string } & Record<string, unknown>;

/** One authenticated plain WebSocket, as a protocol handler sees it. */
export interface PlainConnection {
  readonly id: string;
  readonly user: AuthUser;
  send(frame: Record<string, unknown>): void;
  /** `{type: "error", code, error}`; the socket stays open. */
  sendError(error: unknown): void;
  onClose(listener: () => void): void;
}

/** A protocol on one path (seed 000's /ws/chat, seed 003's /api/ws). */
export interface PlainProtocol {
  onOpen(connection: PlainConnection): void;
  /** Called per well-formed frame, after it was charged to the user's event budget. */
  onFrame(connection: PlainConnection, frame: PlainFrame): Promise<void>;
}

interface Live {
  connection: PlainConnection;
  socket: WebSocket;
  expiry: NodeJS.Timeout;
}

/**
 * Plain WebSocket endpoints next to Socket.IO, on the same HTTP server (DESIGN.md section 6):
 * the same token checks, Origin check, per-user connection cap (one ConnectionLimiter for both
 * transports) and per-user event budget. Only the registered paths are taken from the
 * `upgrade` event; everything else (Socket.IO's /socket.io/) is left to its own listener.
 * The query token is never logged (nothing here logs the URL).
 */
@Injectable()
export class PlainWsServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PlainWsServer.name);
  private readonly protocols = new Map<string, PlainProtocol>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly live = new Map<string, Live>();
  private server?: Server;
  private sessionCheck?: NodeJS.Timeout;
  private unregisterShutdown?: () => void;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly verifier: AccessTokenVerifier,
    private readonly cookies: AuthCookies,
    private readonly limiter: ConnectionLimiter,
    private readonly budget: SocketRateLimitGuard,
    private readonly shutdown: ShutdownService,
    private readonly config: AppConfig,
  ) {}

  register(path: string, protocol: PlainProtocol): void {
    this.protocols.set(path, protocol);
  }

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    this.server?.on('upgrade', this.onUpgrade);
    this.sessionCheck = setInterval(() => void this.checkSessions(), this.config.realtime.sessionCheckSeconds * 1000);
    this.sessionCheck.unref();
    this.unregisterShutdown = this.shutdown.onShutdown(() => this.closeAll(GOING_AWAY, 'The server is shutting down; reconnect'));
  }

  onModuleDestroy(): void {
    this.server?.off('upgrade', this.onUpgrade);
    clearInterval(this.sessionCheck);
    this.unregisterShutdown?.();
    this.closeAll(GOING_AWAY, 'The server is shutting down');
    this.wss.close();
  }

  /** Connections on this instance (metrics, tests). */
  get size(): number {
    return this.live.size;
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const protocol = this.protocols.get(urlOf(req)?.pathname ?? '');
    if (!protocol) return;
    if (!isAllowedOrigin(req, this.config.http.corsOrigins)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Upgrade at once (Socket.IO's engine destroys upgrades nobody answered within a second);
    // the token is checked on the open socket, so a refusal can carry a close code and reason.
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.open(ws, req, protocol));
  };

  private async open(ws: WebSocket, req: IncomingMessage, protocol: PlainProtocol): Promise<void> {
    const pending: Buffer[] = [];
    const buffer = (data: Buffer) => pending.push(data);
    ws.on('message', buffer);
    const id = `ws:${randomUUID()}`;
    let verified;
    try {
      const { token, via } = this.tokenOf(req);
      verified = await this.verifier.verify(token, via);
    } catch (error) {
      const { exception } = normalizeError(error);
      ws.close(POLICY_VIOLATION, closeReason(`${exception.code}: ${exception.message}`));
      return;
    }
    const { user } = verified;
    if (!(await this.limiter.acquire(user.id, id).catch(() => false))) {
      ws.close(POLICY_VIOLATION, `CONNECTION_LIMIT: at most ${this.limiter.maxPerUser} concurrent connections per user`);
      return;
    }
    // The client may have gone while we checked: its slot must not leak.
    if (ws.readyState !== WebSocket.OPEN) {
      await this.limiter.release(user.id, id).catch(() => undefined);
      return;
    }
    const closeListeners: Array<() => void> = [];
    const connection: PlainConnection = {
      id,
      user,
      send: (frame) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
      },
      sendError: (error) => {
        const { exception, unexpected } = normalizeError(error);
        if (unexpected) this.logger.error({ err: error }, 'Plain WebSocket frame failed unexpectedly');
        connection.send({ type: 'error', code: exception.code, error: exception.message, ...(exception.details && { details: exception.details }) });
      },
      onClose: (listener) => closeListeners.push(listener),
    };
    const untilExpiry = Math.min(verified.expiresAt * 1000 - Date.now(), MAX_TIMER_MS);
    const expiry = setTimeout(() => ws.close(POLICY_VIOLATION, 'TOKEN_EXPIRED: reconnect with a fresh token'), Math.max(untilExpiry, 0));
    this.live.set(id, { connection, socket: ws, expiry });
    ws.once('close', () => {
      clearTimeout(expiry);
      this.live.delete(id);
      this.limiter.release(user.id, id).catch((error: unknown) => this.logger.warn({ err: error }, 'Could not release a connection slot'));
      for (const listener of closeListeners) listener();
    });
    ws.off('message', buffer);
    const handle = (data: Buffer) => void this.frame(connection, protocol, data);
    ws.on('message', handle);
    protocol.onOpen(connection);
    for (const data of pending) handle(data);
  }

  private async frame(connection: PlainConnection, protocol: PlainProtocol, data: Buffer): Promise<void> {
    try {
      await this.budget.spend(connection.user.id);
      let frame: unknown;
      try {
        frame = JSON.parse(data.toString('utf8'));
      } catch {
        return connection.send({ type: 'error', code: 'BAD_REQUEST', error: 'Frames must be JSON objects' });
      }
      if (!frame || typeof frame !== 'object' || Array.isArray(frame) || typeof (frame as PlainFrame).type !== 'string') {
        return connection.send({ type: 'error', code: 'VALIDATION_ERROR', error: 'A frame is a JSON object with a string "type"' });
      }
      await protocol.onFrame(connection, frame as PlainFrame);
    } catch (error) {
      connection.sendError(error);
    }
  }

  private tokenOf(req: IncomingMessage): { token?: string; via: AuthUser['via'] } {
    const query = urlOf(req)?.searchParams.get('token');
    if (query) return { token: query.replace(/^Bearer\s+/i, ''), via: 'bearer' };
    const header = bearerToken(req.headers.authorization);
    if (header) return { token: header, via: 'bearer' };
    if (this.config.auth.cookies) {
      const cookie = parseCookies(req.headers.cookie)[this.cookies.names.access];
      if (cookie) return { token: cookie, via: 'cookie' };
    }
    return { via: 'bearer' };
  }

  /** Closes sockets whose sign-in ended (logout, account disabled) and renews connection leases. */
  private async checkSessions(): Promise<void> {
    try {
      for (const { connection, socket } of [...this.live.values()]) {
        if (!(await this.verifier.isActive(connection.user))) {
          socket.close(POLICY_VIOLATION, 'AUTHENTICATION_REQUIRED: the session has ended');
        }
      }
      await this.limiter.renew([...this.live.values()].map(({ connection }) => ({ userId: connection.user.id, socketId: connection.id })));
    } catch (error) {
      this.logger.warn({ err: error }, 'Plain WebSocket session check failed; retrying next interval');
    }
  }

  private closeAll(code: number, reason: string): void {
    for (const { socket } of this.live.values()) socket.close(code, reason);
  }
}

/** A close reason is at most 123 bytes (RFC 6455); ws throws on longer ones. */
function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}

/** The request's URL; undefined when unparsable (an `upgrade` listener must never throw). */
function urlOf(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}
