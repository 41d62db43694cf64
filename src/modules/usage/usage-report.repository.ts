import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { UsageItemDto, UsageTotalsDto } from './dto/usage.dto';

/** Whose usage: one user, or (admin reports, no userId) everyone. Days are inclusive UTC dates. */
export interface UsageScope {
  userId: string | null;
  from: string;
  to: string;
}

type Row = Record<string, string | null>;
const num = (value: string | null | undefined) => Number(value ?? 0);
// $1 user (or null: everyone), $2 first day, $3 last day.
const WHERE = `($1::uuid IS NULL OR user_id = $1::uuid) AND day BETWEEN $2::date AND $3::date`;

/** Reads of usage_daily, usage_daily_models and api_calls_daily. */
@Injectable()
export class UsageReportRepository {
  constructor(private readonly dataSource: DataSource) {}

  async totals(scope: UsageScope): Promise<UsageTotalsDto> {
    const [row] = await this.query(
      `SELECT (SELECT sum(input_tokens) FROM usage_daily WHERE ${WHERE}) AS input_tokens,
              (SELECT sum(output_tokens) FROM usage_daily WHERE ${WHERE}) AS output_tokens,
              (SELECT sum(total_tokens) FROM usage_daily WHERE ${WHERE}) AS total_tokens,
              (SELECT sum(calls) FROM api_calls_daily WHERE ${WHERE}) AS api_calls`,
      scope,
    );
    return { input_tokens: num(row.input_tokens), output_tokens: num(row.output_tokens), total_tokens: num(row.total_tokens), api_calls: num(row.api_calls) };
  }

  async byDay(scope: UsageScope): Promise<UsageItemDto[]> {
    const rows = await this.query(
      `WITH t AS (SELECT day, sum(input_tokens) AS i, sum(output_tokens) AS o, sum(total_tokens) AS s FROM usage_daily WHERE ${WHERE} GROUP BY day),
            c AS (SELECT day, sum(calls) AS calls FROM api_calls_daily WHERE ${WHERE} GROUP BY day)
       SELECT to_char(coalesce(t.day, c.day), 'YYYY-MM-DD') AS day, t.i, t.o, t.s, c.calls
         FROM t FULL JOIN c ON c.day = t.day ORDER BY 1`,
      scope,
    );
    return rows.map((r) => ({ day: r.day!, ...tokens(r), api_calls: num(r.calls) }));
  }

  async byModel(scope: UsageScope): Promise<UsageItemDto[]> {
    const rows = await this.query(
      `SELECT model, sum(input_tokens) AS i, sum(output_tokens) AS o, sum(total_tokens) AS s
         FROM usage_daily_models WHERE ${WHERE} GROUP BY model ORDER BY s DESC, model`,
      scope,
    );
    return rows.map((r) => ({ model: r.model!, ...tokens(r) }));
  }

  async byRoute(scope: UsageScope): Promise<UsageItemDto[]> {
    const rows = await this.query(
      `SELECT method, route, sum(calls) AS calls FROM api_calls_daily WHERE ${WHERE}
        GROUP BY method, route ORDER BY calls DESC, route, method`,
      scope,
    );
    return rows.map((r) => ({ method: r.method!, route: r.route!, api_calls: num(r.calls) }));
  }

  /** The 100 heaviest users of the range. */
  async byUser(scope: UsageScope): Promise<UsageItemDto[]> {
    const rows = await this.query(
      `WITH t AS (SELECT user_id, sum(input_tokens) AS i, sum(output_tokens) AS o, sum(total_tokens) AS s FROM usage_daily WHERE ${WHERE} GROUP BY user_id),
            c AS (SELECT user_id, sum(calls) AS calls FROM api_calls_daily WHERE ${WHERE} GROUP BY user_id)
       SELECT coalesce(t.user_id, c.user_id) AS user_id, u.email, t.i, t.o, t.s, c.calls
         FROM t FULL JOIN c ON c.user_id = t.user_id
         JOIN users u ON u.id = coalesce(t.user_id, c.user_id)
        ORDER BY coalesce(t.s, 0) DESC, coalesce(c.calls, 0) DESC, 1
        LIMIT 100`,
      scope,
    );
    return rows.map((r) => ({ user_id: r.user_id!, email: r.email!, ...tokens(r), api_calls: num(r.calls) }));
  }

  private query(sql: string, scope: UsageScope): Promise<Row[]> {
    return this.dataSource.query(sql, [scope.userId, scope.from, scope.to]);
  }
}

function tokens(row: Row): Pick<UsageItemDto, 'input_tokens' | 'output_tokens' | 'total_tokens'> {
  return { input_tokens: num(row.i), output_tokens: num(row.o), total_tokens: num(row.s) };
}
