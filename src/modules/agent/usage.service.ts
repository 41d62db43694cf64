import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import type { TokenUsage } from '../chat/message.entity';

/** Token usage per user per UTC day, and the daily budget checked before any model call. */
@Injectable()
export class UsageService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  async record(userId: string, usage: TokenUsage): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO usage_daily (user_id, day, input_tokens, output_tokens, total_tokens)
       VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2, $3, $4)
       ON CONFLICT (user_id, day) DO UPDATE SET
         input_tokens = usage_daily.input_tokens + EXCLUDED.input_tokens,
         output_tokens = usage_daily.output_tokens + EXCLUDED.output_tokens,
         total_tokens = usage_daily.total_tokens + EXCLUDED.total_tokens`,
      [userId, usage.input_tokens, usage.output_tokens, usage.total_tokens],
    );
  }

  async usedToday(userId: string): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT total_tokens FROM usage_daily WHERE user_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date`,
      [userId],
    );
    return row ? Number(row.total_tokens) : 0;
  }

  async assertWithinBudget(userId: string): Promise<void> {
    const limit = this.config.chat.maxTokensPerDay;
    if (limit === 0) return;
    const used = await this.usedToday(userId);
    if (used >= limit) {
      throw new AppException(ErrorCode.QuotaExceeded, 'Daily token budget spent; it resets at 00:00 UTC', { limit, used });
    }
  }
}
