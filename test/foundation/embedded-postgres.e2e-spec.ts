import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgres, EmbeddedPostgresError } from '../../src/database/embedded/embedded-postgres';

/** The zero-setup database: a real server in a private temp dir (as root, run as `postgres`). */
describe('embedded PostgreSQL', () => {
  // mkdtemp makes a mode-700 dir: as root, the postgres user cannot reach it, so this also
  // covers the relocation of the data directory.
  const parent = mkdtempSync(join(tmpdir(), 'embedded-pg-'));
  const cleanup: string[] = [parent];
  afterAll(() => cleanup.forEach((path) => rmSync(path, { recursive: true, force: true })));

  const query = async (server: EmbeddedPostgres, sql: string) => {
    const client = new Client({ connectionString: server.url() });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };

  it('initialises, serves, stops, and keeps its data across a restart', async () => {
    const first = await EmbeddedPostgres.start(join(parent, 'pg'));
    cleanup.push(first.dataDir, `${first.dataDir}.password`);
    await query(first, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES (\'still here\')');
    await first.stop();

    const second = await EmbeddedPostgres.start(join(parent, 'pg'));
    try {
      expect(second.dataDir).toBe(first.dataDir);
      expect(await query(second, 'SELECT v FROM kept')).toEqual([{ v: 'still here' }]);
    } finally {
      await second.stop();
    }
  }, 60_000);

  it('fails with one line that says what to do, never an unhandled error', async () => {
    const error = await EmbeddedPostgres.start('/dev/null/pg').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EmbeddedPostgresError);
    const { message } = error as Error;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^Embedded PostgreSQL failed to start in \/dev\/null\/pg: .+DATABASE_URL.+EMBEDDED_DB_DIR/);
  });
});
