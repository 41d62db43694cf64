import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { loadAppConfig } from './config/app-config';
import { dataSourceOptions } from './database/data-source-options';
import { EmbeddedPostgres } from './database/embedded/embedded-postgres';
import { MIGRATION_COMMANDS, type MigrationCommand, runMigrationCommand } from './database/migration-commands';
import { grantAdminCommand } from './modules/users/grant-admin.command';

const USAGE = `usage: node dist/src/cli.js <run | revert | show | generate <Name> | grant-admin <email>>
Uses DATABASE_URL, or the embedded PostgreSQL in EMBEDDED_DB_DIR when it is unset.`;

/** Command-line entry point (like main.ts, it sits above the layers and wires them). */
async function main(): Promise<void> {
  Logger.overrideLogger(['error', 'warn', 'log']);
  const [command, name] = process.argv.slice(2);
  const isMigration = (MIGRATION_COMMANDS as readonly string[]).includes(command);
  if (!command || (!isMigration && command !== 'grant-admin') || ((command === 'generate' || command === 'grant-admin') && !name)) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const config = loadAppConfig();
  const embedded = config.database.url ? undefined : await EmbeddedPostgres.start(config.database.embeddedDir);
  const dataSource = await new DataSource(dataSourceOptions(config.database.url ?? embedded!.url(), 2)).initialize();
  try {
    if (isMigration) await runMigrationCommand(dataSource, command as MigrationCommand, name);
    else await grantAdminCommand(dataSource, name);
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
