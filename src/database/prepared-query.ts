import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * Runs a hot, fixed statement as a named prepared statement on TypeORM's pool: PostgreSQL parses
 * and plans it once per pooled connection instead of on every call (planning the conversation
 * list cost about as much as running it). `name` must belong to this one SQL text; statements
 * whose text varies (optional filters) go through `query()` as usual. Not for transactions.
 * Slow-query logging (TypeORM's) does not see these statements.
 */
export async function preparedQuery<T>(dataSource: DataSource, name: string, text: string, values: unknown[]): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  const result = await pool.query({ name, text, values });
  return result.rows as T[];
}
