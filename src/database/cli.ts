import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadAppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { EmbeddedPostgres } from './embedded/embedded-postgres';
import { User } from '../modules/users/user.entity';
import { UsersRepository } from '../modules/users/users.repository';
import { migrateWithLock, pendingMigrations } from './migrate';

const USAGE = `usage: node dist/src/database/cli.js <run | revert | show | generate <Name> | grant-admin <email>>
Uses DATABASE_URL, or the embedded PostgreSQL in EMBEDDED_DB_DIR when it is unset.`;

/** Writes a migration with the SQL that brings the database schema to the entities' shape. */
async function generate(dataSource: DataSource, name: string): Promise<void> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  if (sql.upQueries.length === 0) {
    process.stdout.write('No changes: the database matches the entities.\n');
    return;
  }
  const quote = (query: string) => '`' + query.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${') + '`';
  const line = (q: { query: string; parameters?: unknown[] }) =>
    `    await queryRunner.query(${quote(q.query)}${q.parameters?.length ? `, ${JSON.stringify(q.parameters)}` : ''});`;
  const timestamp = Date.now();
  const className = `${name.replace(/[^A-Za-z0-9]/g, '')}${timestamp}`;
  const file = join(process.cwd(), 'migrations', `${timestamp}-${name}.ts`);
  writeFileSync(
    file,
    `import { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${sql.upQueries.map(line).join('\n')}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${[...sql.downQueries].reverse().map(line).join('\n')}
  }
}
`,
  );
  process.stdout.write(`Wrote ${file}: read it before committing.\n`);
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error', 'warn', 'log']);
  const [command, name] = process.argv.slice(2);
  const commands = ['run', 'revert', 'show', 'generate', 'grant-admin'];
  if (!command || !commands.includes(command) || ((command === 'generate' || command === 'grant-admin') && !name)) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const config = loadAppConfig();
  const embedded = config.database.url ? undefined : await EmbeddedPostgres.start(config.database.embeddedDir);
  const dataSource = await new DataSource(dataSourceOptions(config.database.url ?? embedded!.url(), 2)).initialize();
  try {
    if (command === 'run') {
      const applied = await migrateWithLock(dataSource);
      process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Nothing to apply.\n');
    } else if (command === 'revert') {
      await dataSource.undoLastMigration({ transaction: 'all' });
    } else if (command === 'show') {
      const pending = await pendingMigrations(dataSource);
      process.stdout.write(pending.length ? `Pending: ${pending.join(', ')}\n` : 'All migrations applied.\n');
    } else if (command === 'grant-admin') {
      await migrateWithLock(dataSource);
      const granted = await new UsersRepository(dataSource.getRepository(User)).grantAdmin(name);
      process.stdout.write(granted ? `${name} is now an admin.\n` : `No user with email ${name}: register first.\n`);
      if (!granted) process.exitCode = 1;
    } else {
      await generate(dataSource, name);
    }
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
