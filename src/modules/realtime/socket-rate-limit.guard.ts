import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { budgetKey, userTracker } from '../../common/rate-limit/rate-limit.guard';
import { AppConfig } from '../../config/app-config';
import type { RealtimeSocket } from './realtime.events';

const WINDOW_MS = 60_000;

/**
 * Client events spend the user's REST budget (RATE_LIMIT_PER_MINUTE), in the same throttler
 * storage (Redis with REDIS_URL), so a socket is no way around the limit. Over it, the event
 * is acked `{ok: false, error: {code: RATE_LIMIT_EXCEEDED}}` by the gateway's filter.
 */
@Injectable()
export class SocketRateLimitGuard implements CanActivate {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'ws') return true;
    await this.spend(context.switchToWs().getClient<RealtimeSocket>().data.user.id);
    return true;
  }

  /** Charges one event to the user's budget; throws RATE_LIMIT_EXCEEDED past it. Other modules' socket events call this too. */
  async spend(userId: string): Promise<void> {
    const limit = this.config.rateLimit.perMinute;
    const record = await this.storage.increment(budgetKey('default', 'api', userTracker(userId)), WINDOW_MS, limit, WINDOW_MS, 'default');
    if (record.isBlocked) {
      throw new AppException(ErrorCode.RateLimitExceeded, `Rate limit exceeded: ${limit} requests per minute; retry in ${record.timeToBlockExpire} s`, {
        retry_after: record.timeToBlockExpire,
      });
    }
  }
}
