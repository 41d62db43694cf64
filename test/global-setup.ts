import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { EmbeddedPostgres } from '../src/database/embedded/embedded-postgres';
import { migrateWithLock } from '../src/database/migrate';

/**
 * Each test run gets its own freshly migrated database: on TEST_DATABASE_URL's server when it
 * is set (CI), else on an embedded PostgreSQL. Workers read TEST_DB_URL.
 */
export default async function globalSetup(): Promise<void> {
  Logger.overrideLogger(['error', 'warn']);
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const embedded = await EmbeddedPostgres.start('./.data/test-postgres');
    (globalThis as Record<string, unknown>).__EMBEDDED_PG__ = embedded;
    serverUrl = embedded.url();
  }
  const name = `agent_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();

  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  process.env.TEST_DB_URL = url.toString();
  process.env.TEST_DB_SERVER_URL = serverUrl;
  process.env.TEST_DB_NAME = name;

  const dataSource = await new DataSource(dataSourceOptions(url.toString(), 2)).initialize();
  await migrateWithLock(dataSource);
  await dataSource.destroy();
}
