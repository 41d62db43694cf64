import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';

/**
 * Atomically: drop expired entries, refuse when the user already holds `limit` live
 * connections, else add this one. Entries carry an expiry the owning instance keeps pushing
 * forward, so a crashed instance's connections stop counting on their own.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/**
 * Concurrent connections per user: in process memory on one instance, in a Redis sorted set
 * per user (socket id -> expiry) when REDIS_URL is set, so the cap holds across instances.
 */
@Injectable()
export class ConnectionLimiter implements OnModuleDestroy {
  private readonly logger = new Logger(ConnectionLimiter.name);
  private readonly local = new Map<string, Set<string>>();
  private readonly redis?: Redis;
  private readonly limit: number;
  private readonly leaseMs: number;

  constructor(config: AppConfig) {
    this.limit = config.realtime.maxConnectionsPerUser;
    // Several refresh periods, so one slow tick does not release a live connection.
    this.leaseMs = Math.max(30_000, config.realtime.sessionCheckSeconds * 4000);
    if (config.redisUrl) {
      this.redis = new Redis(config.redisUrl, { keyPrefix: config.redisKeyPrefix, maxRetriesPerRequest: 2 });
      this.redis.on('error', (error) => this.logger.warn({ err: error }, 'Redis error (connection limits)'));
    }
  }

  get maxPerUser(): number {
    return this.limit;
  }

  async acquire(userId: string, socketId: string): Promise<boolean> {
    // Without Redis (or while it is down) the cap is counted on this instance only.
    if (!this.redis || this.redis.status !== 'ready') {
      const sockets = this.local.get(userId) ?? new Set<string>();
      if (sockets.size >= this.limit) return false;
      sockets.add(socketId);
      this.local.set(userId, sockets);
      return true;
    }
    const now = Date.now();
    const acquired = await this.redis.eval(ACQUIRE, 1, key(userId), now, now + this.leaseMs, this.limit, socketId, this.leaseMs * 2);
    return acquired === 1;
  }

  async release(userId: string, socketId: string): Promise<void> {
    const sockets = this.local.get(userId);
    if (sockets?.delete(socketId)) {
      if (sockets.size === 0) this.local.delete(userId);
      return;
    }
    if (this.redis) await this.redis.zrem(key(userId), socketId);
  }

  /** Extends the leases of this instance's live connections (called periodically). */
  async renew(connections: Array<{ userId: string; socketId: string }>): Promise<void> {
    if (!this.redis || connections.length === 0) return;
    const expiry = Date.now() + this.leaseMs;
    const pipeline = this.redis.pipeline();
    for (const { userId, socketId } of connections) pipeline.zadd(key(userId), 'XX', expiry, socketId);
    await pipeline.exec();
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis?.quit().catch(() => undefined);
  }
}

const key = (userId: string) => `realtime:connections:${userId}`;
