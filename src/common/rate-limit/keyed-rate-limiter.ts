import { Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { createHash } from 'node:crypto';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';

/**
 * A budget on something other than the caller (an email address, an account), in the same
 * storage as the request budgets: in memory, or in Redis across instances.
 */
@Injectable()
export class KeyedRateLimiter {
  constructor(@InjectThrottlerStorage() private readonly storage: ThrottlerStorage) {}

  /** Counts one hit; throws 429 RATE_LIMIT_EXCEEDED (with Retry-After) past `limit` per `windowSeconds`. */
  async consume(scope: string, subject: string, limit: number, windowSeconds: number): Promise<void> {
    // Hashed: keys in Redis should not hold email addresses.
    const key = `throttle:keyed:${scope}:${createHash('sha256').update(subject).digest('hex')}`;
    // Blocked for a window once over (as the request budgets are); the Redis storage refuses a zero block.
    const record = await this.storage.increment(key, windowSeconds * 1000, limit, windowSeconds * 1000, 'keyed');
    if (record.isBlocked || record.totalHits > limit) {
      const retryAfter = String(Math.max(1, record.timeToBlockExpire, record.timeToExpire));
      throw new AppException(ErrorCode.RateLimitExceeded, 'Too many requests for this address; try again later', undefined, {
        'Retry-After': retryAfter,
      });
    }
  }
}
