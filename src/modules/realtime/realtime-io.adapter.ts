import type { INestApplicationContext } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import type { IncomingMessage } from 'node:http';
import { AppConfig } from '../../config/app-config';

// @nestjs/platform-socket.io may resolve its own copy of socket.io: type against that one.
type IoServerOptions = NonNullable<Parameters<IoAdapter['createIOServer']>[1]>;
type IoServer = ReturnType<IoAdapter['createIOServer']>;

/**
 * The Socket.IO server behind every gateway: `Origin` checked against CORS_ORIGINS in
 * `allowRequest` (CORS settings do not cover WebSocket upgrades), and with REDIS_URL the
 * Redis adapter, so room broadcasts reach sockets on every instance.
 */
export class RealtimeIoAdapter extends IoAdapter {
  private readonly redisLogger = new Logger('RealtimeRedis');
  private readonly redisClients: Redis[] = [];

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: IoServerOptions): IoServer {
    const origins = this.config.http.corsOrigins;
    const server = super.createIOServer(port, {
      ...options,
      serveClient: false,
      cors: { origin: origins.length > 0 ? origins : false, credentials: true },
      allowRequest: (req, callback) => callback(null, isAllowedOrigin(req, origins)),
    } as IoServerOptions);
    if (this.config.redisUrl) {
      // Publishes are dropped, not queued, while Redis is away (this instance keeps serving its
      // own sockets) and never reject unhandled; the subscriber resubscribes when it returns.
      const pub = new Redis(this.config.redisUrl, { enableOfflineQueue: false });
      const publish = pub.publish.bind(pub) as (channel: string, message: string) => Promise<number>;
      pub.publish = ((channel: string, message: string) => publish(channel, message).catch(() => 0)) as typeof pub.publish;
      const sub = new Redis(this.config.redisUrl);
      for (const client of [pub, sub]) {
        client.on('error', (error) => this.redisLogger.warn({ err: error }, 'Redis error (Socket.IO adapter)'));
        this.redisClients.push(client);
      }
      server.adapter(createAdapter(pub, sub, { key: `${this.config.redisKeyPrefix}socket.io` }));
    }
    return server;
  }

  override async dispose(): Promise<void> {
    await Promise.all(this.redisClients.splice(0).map((client) => client.quit().catch(() => undefined)));
  }
}

/**
 * Non-browser clients send no Origin and are allowed (the token still decides); a browser's
 * Origin must be listed in CORS_ORIGINS or be this server's own.
 */
export function isAllowedOrigin(req: IncomingMessage, allowed: string[]): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
