import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import { SnakeNamingStrategy } from './snake-naming.strategy';
import { TypeOrmLogger } from './typeorm-logger';

export const MIGRATIONS_TABLE = 'migrations';

/**
 * The one DataSource definition. The app (TypeOrmModule), the migration CLI and the test
 * harness all build their connection from here. Globs cover `.ts` (tests, ts-node) and `.js`
 * (the compiled `dist/`).
 */
export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [join(__dirname, '..', '**', '*.entity.{ts,js}')],
    migrations: [join(__dirname, '..', '..', 'migrations', '*.{ts,js}')],
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsRun: false,
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    // An undefined or null value in a where clause throws instead of matching every row.
    invalidWhereValuesBehavior: { null: 'throw', undefined: 'throw' },
    // A bounded wait for a connection: with PostgreSQL down, requests fail fast (503) instead of hanging.
    extra: { max: poolSize, application_name: 'agent-backend', connectionTimeoutMillis: 10_000 },
    logger: new TypeOrmLogger(),
    maxQueryExecutionTime: 1000,
  };
}
