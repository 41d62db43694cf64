import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { TokenUsage } from '../chat/message.entity';

/** usage_daily: tokens per user per UTC day. */
@Injectable()
export class UsageRepository {
  constructor(private readonly dataSource: DataSource) {}

  async add(userId: string, usage: TokenUsage): Promise<void> {
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

  /** The same tokens per model (usage_daily_models), for the usage report. */
  async addForModel(userId: string, model: string, usage: TokenUsage): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO usage_daily_models (user_id, day, model, input_tokens, output_tokens, total_tokens)
       VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2, $3, $4, $5)
       ON CONFLICT (user_id, day, model) DO UPDATE SET
         input_tokens = usage_daily_models.input_tokens + EXCLUDED.input_tokens,
         output_tokens = usage_daily_models.output_tokens + EXCLUDED.output_tokens,
         total_tokens = usage_daily_models.total_tokens + EXCLUDED.total_tokens`,
      [userId, model.slice(0, 200), usage.input_tokens, usage.output_tokens, usage.total_tokens],
    );
  }

  async totalToday(userId: string): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT total_tokens FROM usage_daily WHERE user_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date`,
      [userId],
    );
    return row ? Number(row.total_tokens) : 0;
  }
}
