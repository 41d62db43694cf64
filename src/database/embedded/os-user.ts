import { execFileSync, spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';

/** The OS account PostgreSQL runs as when we are root (PostgreSQL refuses to run as root). */
export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

export const isRoot = (): boolean => userInfo().uid === 0;

function lookup(name: string): OsUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    return { name, uid, gid };
  } catch {
    return undefined;
  }
}

/** The `postgres` system account, created (without a home or a shell) when it does not exist yet. */
export function ensurePostgresUser(): OsUser {
  const existing = lookup('postgres');
  if (existing) return existing;
  const created = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {
    encoding: 'utf8',
  });
  const user = lookup('postgres');
  if (!user) {
    throw new Error(`could not create the OS user "postgres" to run PostgreSQL as (useradd: ${created.stderr?.trim() || created.error?.message})`);
  }
  return user;
}

/**
 * Whether `user` may access `path` in `mode` (test(1) flags: -r, -w, -x), asked by running
 * test(1) as that user, so ancestors' permissions and ACLs count as the kernel sees them.
 */
export function canAccess(user: OsUser, path: string, mode: '-r' | '-w' | '-x'): boolean {
  return spawnSync('test', [mode, path], { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
}
