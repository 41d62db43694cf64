import type { DataSource } from 'typeorm';

/** Arbitrary, fixed keys: every instance of this service contends for the same locks. */
export const ADVISORY_LOCKS = { migrations: 727_374_001, checkpointer: 727_374_002 } as const;

/**
 * Runs start-up work that must happen once while holding a PostgreSQL advisory lock, so
 * instances starting together take turns (the later ones then find nothing to do).
 */
export async function withAdvisoryLock<T>(dataSource: DataSource, key: number, work: () => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [key]);
    return await work();
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
    await runner.release();
  }
}

/** Runs pending migrations in one transaction, once across instances. */
export async function migrateWithLock(dataSource: DataSource): Promise<string[]> {
  return withAdvisoryLock(dataSource, ADVISORY_LOCKS.migrations, async () => {
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    return applied.map((migration) => migration.name);
  });
}

/** Names of migrations that exist in code but are not applied to the database. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ name: string }> = await dataSource.query(
    `SELECT name FROM "${dataSource.options.migrationsTableName ?? 'migrations'}"`,
  );
  const applied = new Set(rows.map((row) => row.name));
  return dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name).filter((name) => !applied.has(name));
}
