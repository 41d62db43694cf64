import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface ApiCallCount {
  userId: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  method: string;
  route: string;
  calls: number;
}

@Injectable()
export class ApiCallsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Adds a batch of counts in one statement. Rows of users deleted meanwhile are dropped, so one
   * stale row cannot fail the whole batch on the foreign key. Keys are unique within a batch.
   */
  async add(counts: ApiCallCount[]): Promise<void> {
    if (counts.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO api_calls_daily (user_id, day, method, route, calls)
       SELECT c.user_id, c.day, c.method, c.route, c.calls
         FROM unnest($1::uuid[], $2::date[], $3::varchar[], $4::varchar[], $5::bigint[]) AS c(user_id, day, method, route, calls)
        WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = c.user_id)
       ON CONFLICT (user_id, day, method, route) DO UPDATE SET calls = api_calls_daily.calls + EXCLUDED.calls`,
      [
        counts.map((c) => c.userId),
        counts.map((c) => c.day),
        counts.map((c) => c.method),
        counts.map((c) => c.route),
        counts.map((c) => c.calls),
      ],
    );
  }
}
