import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Logger, OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import { MemoryThrottlerStorage } from './memory-throttler-storage';

type ThrottleRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Counts in Redis (limits hold across instances) while Redis answers, and in this process's
 * memory while it does not: losing Redis degrades to per-instance limits with a warning
 * instead of failing or stalling every request. Commands are not queued while disconnected.
 */
export class FailoverThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: Redis;
  private readonly shared: ThrottlerStorageRedisService;
  private readonly local = new MemoryThrottlerStorage();
  private degraded = false;

  constructor(redisUrl: string, keyPrefix: string) {
    this.redis = new Redis(redisUrl, { keyPrefix, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined); // reported once per outage below, not per reconnect attempt
    this.shared = new ThrottlerStorageRedisService(this.redis);
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottleRecord> {
    if (this.redis.status === 'ready') {
      try {
        const record = await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
        if (this.degraded) this.logger.log('Redis is back: rate limits are shared across instances again');
        this.degraded = false;
        return record;
      } catch (error) {
        this.degrade(error);
      }
    } else {
      this.degrade(new Error(`Redis connection is ${this.redis.status}`));
    }
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  async onModuleDestroy(): Promise<void> {
    this.local.onApplicationShutdown();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private degrade(error: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.logger.warn({ err: error }, 'Redis unavailable: rate limits are counted per instance until it returns');
  }
}
