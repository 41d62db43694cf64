import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import type { TokenUsage } from '../chat/message.entity';
import { UserLimitsService } from '../settings/user-limits.service';
import { UsageRepository } from './usage.repository';

/** Token usage per user per UTC day, and the daily budget checked before any model call. */
@Injectable()
export class UsageService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly limits: UserLimitsService,
  ) {}

  record(userId: string, usage: TokenUsage): Promise<void> {
    return this.usage.add(userId, usage);
  }

  async assertWithinBudget(userId: string): Promise<void> {
    // The user's own max_tokens_per_day (Settings api_limits), DEFAULT_MAX_TOKENS_PER_DAY if unset.
    const limit = (await this.limits.effective(userId)).max_tokens_per_day;
    if (limit === 0) return;
    const used = await this.usage.totalToday(userId);
    if (used >= limit) {
      throw new AppException(ErrorCode.QuotaExceeded, 'Daily token budget spent; it resets at 00:00 UTC', { limit, used });
    }
  }
}
