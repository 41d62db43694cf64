import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../../config/app-config';
import { FailoverThrottlerStorage } from './failover-throttler-storage';
import { MemoryThrottlerStorage } from './memory-throttler-storage';
import { RateLimitGuard } from './rate-limit.guard';

/**
 * Request budgets per minute. In memory on one instance; with REDIS_URL every instance counts
 * in Redis, so the limit holds across the fleet.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.rateLimit.perMinute }],
        storage: config.redisUrl ? new FailoverThrottlerStorage(config.redisUrl, config.redisKeyPrefix) : new MemoryThrottlerStorage(),
      }),
    }),
  ],
  providers: [RateLimitGuard],
  exports: [RateLimitGuard, ThrottlerModule],
})
export class RateLimitModule {}
