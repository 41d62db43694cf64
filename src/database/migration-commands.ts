import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { migrateWithLock, pendingMigrations } from './migrate';

export const MIGRATION_COMMANDS = ['run', 'revert', 'show', 'generate'] as const;
export type MigrationCommand = (typeof MIGRATION_COMMANDS)[number];

/** The migration commands of `src/cli.ts` (`generate` takes a name). */
export async function runMigrationCommand(dataSource: DataSource, command: MigrationCommand, name?: string): Promise<void> {
  if (command === 'run') {
    const applied = await migrateWithLock(dataSource);
    process.stdout.write(applied.length ? `Applied: ${applied.join(', ')}\n` : 'Nothing to apply.\n');
  } else if (command === 'revert') {
    await dataSource.undoLastMigration({ transaction: 'all' });
  } else if (command === 'show') {
    const pending = await pendingMigrations(dataSource);
    process.stdout.write(pending.length ? `Pending: ${pending.join(', ')}\n` : 'All migrations applied.\n');
  } else {
    await generate(dataSource, name!);
  }
}

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
