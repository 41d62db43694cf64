import { Client } from 'pg';
import type { EmbeddedPostgres } from '../src/database/embedded/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const serverUrl = process.env.TEST_DB_SERVER_URL;
  const name = process.env.TEST_DB_NAME;
  if (serverUrl && name) {
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
  const embedded = (globalThis as Record<string, unknown>).__EMBEDDED_PG__ as EmbeddedPostgres | undefined;
  await embedded?.stop();
}
