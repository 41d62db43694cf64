import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { preparedQuery } from '../../database/prepared-query';
import type { TokenUsage } from './agent.types';

/** The user's max_tokens_per_day ($1: user id, $2: the configured default); 0 = unlimited. */
const LIMIT_SQL = `COALESCE((SELECT (api_limits->>'max_tokens_per_day')::bigint FROM user_settings WHERE user_id = $1), $2::bigint)`;

/** usage_daily: tokens per user per UTC day. */
@Injectable()
export class UsageRepository {
  constructor(private readonly dataSource: DataSource) {}

  async totalToday(userId: string): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT total_tokens FROM usage_daily WHERE user_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date`,
      [userId],
    );
    return row ? Number(row.total_tokens) : 0;
  }

  /**
   * The user's daily token limit and today's total, in one round trip. The limit is the
   * admin-set user_settings.api_limits.max_tokens_per_day, else `defaultLimit` (the settings
   * module owns that row; it is read here so a message costs one query, not two).
   */
  async budget(userId: string, defaultLimit: number): Promise<{ limit: number; used: number }> {
    const [row] = await this.dataSource.query(
      `SELECT ${LIMIT_SQL} AS token_limit,
              COALESCE((SELECT total_tokens FROM usage_daily WHERE user_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date), 0) AS used`,
      [userId, defaultLimit],
    );
    return { limit: Number(row.token_limit), used: Number(row.used) };
  }

  /**
   * Reads the user's daily limit (as budget()) and, unless it is 0 (unlimited), adds `tokens` to
   * today's reservations when used + reserved + tokens stays within it: one conditional
   * statement (concurrent calls queue on the row). `reserved` false when it would not fit.
   */
  async reserve(userId: string, tokens: number, defaultLimit: number): Promise<{ limit: number; reserved: boolean }> {
    const [row] = await this.dataSource.query(
      `WITH budget AS (SELECT ${LIMIT_SQL} AS token_limit),
       reservation AS (
         INSERT INTO usage_daily (user_id, day, input_tokens, output_tokens, total_tokens, reserved_tokens)
         SELECT $1::uuid, (now() AT TIME ZONE 'UTC')::date, 0, 0, 0, $3::bigint FROM budget WHERE token_limit > 0 AND $3::bigint <= token_limit
         ON CONFLICT (user_id, day) DO UPDATE SET reserved_tokens = usage_daily.reserved_tokens + EXCLUDED.reserved_tokens
          WHERE usage_daily.total_tokens + usage_daily.reserved_tokens + EXCLUDED.reserved_tokens <= (SELECT token_limit FROM budget)
         RETURNING user_id
       )
       SELECT token_limit, EXISTS (SELECT 1 FROM reservation) AS reserved FROM budget`,
      [userId, defaultLimit, tokens],
    );
    return { limit: Number(row.token_limit), reserved: row.reserved === true };
  }

  /**
   * Releases a reservation and records what was actually used, in one statement; with `model`
   * (and tokens used) the per-model totals too, in the same statement.
   */
  async settle(userId: string, reserved: number, usage: TokenUsage, model?: string): Promise<void> {
    const perModel = model !== undefined && usage.total_tokens > 0;
    // Prepared: every reply ends with it.
    await preparedQuery(
      this.dataSource,
      'usage_settle',
      `WITH per_model AS (
         INSERT INTO usage_daily_models (user_id, day, model, input_tokens, output_tokens, total_tokens)
         SELECT $1::uuid, (now() AT TIME ZONE 'UTC')::date, $6::varchar, $3::bigint, $4::bigint, $5::bigint WHERE $7::boolean
         ON CONFLICT (user_id, day, model) DO UPDATE SET
           input_tokens = usage_daily_models.input_tokens + EXCLUDED.input_tokens,
           output_tokens = usage_daily_models.output_tokens + EXCLUDED.output_tokens,
           total_tokens = usage_daily_models.total_tokens + EXCLUDED.total_tokens
       )
       INSERT INTO usage_daily (user_id, day, input_tokens, output_tokens, total_tokens)
       VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $3, $4, $5)
       ON CONFLICT (user_id, day) DO UPDATE SET
         reserved_tokens = GREATEST(usage_daily.reserved_tokens - $2, 0),
         input_tokens = usage_daily.input_tokens + EXCLUDED.input_tokens,
         output_tokens = usage_daily.output_tokens + EXCLUDED.output_tokens,
         total_tokens = usage_daily.total_tokens + EXCLUDED.total_tokens`,
      [userId, reserved, usage.input_tokens, usage.output_tokens, usage.total_tokens, (model ?? '').slice(0, 200), perModel],
    );
  }
}
