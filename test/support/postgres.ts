/**
 * A throwaway PostgreSQL for tests: Debian's `postgresql` package (15), `initdb` in a temporary
 * directory, listening on a Unix socket only (`listen_addresses = ''`), fsync off, removed when
 * stopped or when the test process exits.
 *
 * PostgreSQL refuses to run as root, and CI runs the tests as root: then initdb and postgres run
 * as the unprivileged `nobody` (uid/gid given to spawn, supplementary groups cleared by Node), and
 * the temporary directory is handed to that user. Run as any other user, they run as that user.
 *
 * Usage (one server per test file is cheap: about a second to initdb and start):
 *
 *     const pg = await startPostgres();          // pg.url = postgres://postgres@%2Ftmp%2F…/ferry
 *     const other = await pg.createDatabase('copy_target');
 *     after(() => pg.stop());
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where Debian's postgresql package puts its server binaries: /usr/lib/postgresql/<major>/bin, the
 * newest major there (15 on bookworm); FERRY_TEST_PG_BIN overrides it.
 */
export const PG_BIN = process.env.FERRY_TEST_PG_BIN ?? debianPgBin();

function debianPgBin(): string {
  let majors: number[] = [];
  try {
    majors = readdirSync('/usr/lib/postgresql').map(Number).filter((n) => Number.isInteger(n));
  } catch {
    /* not installed: startPostgres says so */
  }
  const newest = majors.sort((a, b) => b - a)[0] ?? 15;
  return `/usr/lib/postgresql/${newest}/bin`;
}

/** The unprivileged account the server runs as when the tests run as root (Debian's `nobody`). */
const NOBODY = { uid: 65534, gid: 65534 };

export interface ThrowawayPostgres {
  /** `postgres://postgres@<socket dir, URL-encoded>/ferry`: the database `ferry`, empty. */
  url: string;
  /** The directory holding the server's Unix socket (`.s.PGSQL.5432`). */
  socketDir: string;
  /** Creates another empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs SQL through `psql` (as the superuser `postgres`) and returns its unaligned output. */
  psql(sql: string, database?: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Builds the URL of one database on the throwaway server (socket directory as the host). */
export function postgresUrl(socketDir: string, database: string): string {
  return `postgres://postgres@${encodeURIComponent(socketDir)}/${encodeURIComponent(database)}`;
}

const live = new Set<{ child: ChildProcess; dir: string }>();
process.on('exit', () => {
  for (const server of live) {
    try {
      server.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    rmSync(server.dir, { recursive: true, force: true });
  }
});

/**
 * Starts a fresh PostgreSQL cluster and creates the database `ferry` in it.
 * Throws with a one-line message naming the package to install when the binaries are missing,
 * and with initdb's or the server's output when they fail.
 */
export async function startPostgres(): Promise<ThrowawayPostgres> {
  for (const tool of ['initdb', 'postgres', 'pg_isready', 'createdb', 'psql']) {
    if (!existsSync(join(PG_BIN, tool))) {
      throw new Error(
        `PostgreSQL's ${tool} is missing from ${PG_BIN}: install Debian's postgresql package ` +
          `(scripts/install-deps.sh --test does), or set FERRY_TEST_PG_BIN to its bin directory`,
      );
    }
  }
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? NOBODY : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ferry-pg-'));
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'run');
  mkdirSync(dataDir, { mode: 0o700 });
  mkdirSync(socketDir, { mode: 0o700 });
  if (owner) for (const d of [dir, dataDir, socketDir]) chownSync(d, owner.uid, owner.gid);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };

  const init = spawnSync(
    join(PG_BIN, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'],
    { env, cwd: dir, encoding: 'utf8', ...(owner ?? {}) },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (exit ${init.status ?? init.signal}): ${init.stderr || init.stdout}`);
  }
  writeFileSync(join(dir, 'log'), '');
  if (owner) chownSync(join(dir, 'log'), owner.uid, owner.gid);

  const child = spawn(
    join(PG_BIN, 'postgres'),
    [
      '-D', dataDir,
      '-k', socketDir,
      '-c', "listen_addresses=",
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=200',
      '-c', 'shared_buffers=32MB',
    ],
    { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...(owner ?? {}) },
  );
  const server = { child, dir };
  live.add(server);
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString('utf8')));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString('utf8')));
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.on('exit', () => {
    exited = true;
    resolve();
  }));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      live.delete(server);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`postgres exited while starting: ${output.trim()}`);
    }
    const ready = spawnSync(join(PG_BIN, 'pg_isready'), ['-q', '-h', socketDir, '-U', 'postgres'], { env });
    if (ready.status === 0) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`postgres did not accept connections within 30 s: ${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const runTool = (tool: string, args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      const p = spawn(join(PG_BIN, tool), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
      p.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${tool} ${args.join(' ')} exited ${code}: ${err.trim()}`))));
    });

  const createDatabase = async (name: string): Promise<string> => {
    await runTool('createdb', ['-h', socketDir, '-U', 'postgres', name]);
    return postgresUrl(socketDir, name);
  };
  const psql = (sql: string, database = 'ferry'): Promise<string> =>
    runTool('psql', ['-h', socketDir, '-U', 'postgres', '-d', database, '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql]);

  const url = await createDatabase('ferry');
  let stopped = false;
  return {
    url,
    socketDir,
    createDatabase,
    psql,
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      if (!exited) {
        child.kill('SIGINT'); // fast shutdown: disconnects clients, no checkpoint wait worth noting (fsync off)
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exitedPromise;
        clearTimeout(timer);
      }
      live.delete(server);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
