import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import type { TokenUsage } from '../chat/message.entity';
import { UsageRepository } from './usage.repository';

/** Token usage per user per UTC day, and the daily budget checked before any model call. */
@Injectable()
export class UsageService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly config: AppConfig,
  ) {}

  /** `model`: the `provider:model` that answered; per-model totals then add up to the daily ones. */
  async record(userId: string, usage: TokenUsage, model = 'unknown'): Promise<void> {
    await this.usage.add(userId, usage);
    await this.usage.addForModel(userId, model, usage);
  }

  async assertWithinBudget(userId: string): Promise<void> {
    const limit = this.config.chat.maxTokensPerDay;
    if (limit === 0) return;
    const used = await this.usage.totalToday(userId);
    if (used >= limit) {
      throw new AppException(ErrorCode.QuotaExceeded, 'Daily token budget spent; it resets at 00:00 UTC', { limit, used });
    }
  }
}
