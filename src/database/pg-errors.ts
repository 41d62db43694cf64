import { QueryFailedError } from 'typeorm';

/** True when a query failed on a unique constraint (PostgreSQL 23505), optionally a named one. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === '23505' && (constraint === undefined || driverError.constraint === constraint);
}

/**
 * Rows of an `UPDATE/DELETE ... RETURNING` run through `query()`: TypeORM's PostgreSQL driver
 * answers those as `[rows, affectedCount]`, and plain `rows` for SELECT and INSERT.
 */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}
