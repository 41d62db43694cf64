import type { DataSource } from 'typeorm';

/** Arbitrary, fixed: every instance of this service contends for the same lock. */
const MIGRATION_LOCK_KEY = 727_374_001;

/**
 * Runs pending migrations in one transaction while holding a PostgreSQL advisory lock, so
 * several instances starting at once migrate exactly once and the others wait for it.
 */
export async function migrateWithLock(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    return applied.map((migration) => migration.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

/** Names of migrations that exist in code but are not applied to the database. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ name: string }> = await dataSource.query(
    `SELECT name FROM "${dataSource.options.migrationsTableName ?? 'migrations'}"`,
  );
  const applied = new Set(rows.map((row) => row.name));
  return dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name).filter((name) => !applied.has(name));
}
