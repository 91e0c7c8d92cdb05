/**
 * End-to-end harness: starts the built `ferry serve` on free ports in a temporary data dir and
 * drives the real clients (hg, git, ssh, curl) against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { databaseEnv } from '../support/database-env.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const FERRY_BIN = join(ROOT, 'bin', 'ferry.js');
export const SHARED = resolve(ROOT, '..', 'shared');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  timeoutMs?: number;
}

/**
 * FERRY_TEST_TRACE=FILE: every program a test runs appends one JSON line to FILE (the test file,
 * the program, its first words, wall ms), to find where a slow test file's time goes
 * (`scripts/test-trace-summary.mjs FILE` sums them up).
 */
const TRACE = process.env.FERRY_TEST_TRACE;
const TRACED_FILE = process.argv[1] ?? '';

function traced(cmd: string, args: readonly string[], started: number): void {
  if (!TRACE) return;
  // The program and its subcommand words (`ferry user add`, `hg clone`), not paths, URLs or option values.
  const words = [cmd === process.execPath ? 'ferry' : cmd.replace(/.*\//, ''), ...args.filter((a) => /^[a-z][a-z-]*$/.test(a)).slice(0, cmd === process.execPath ? 2 : 1)];
  appendFileSync(TRACE, `${JSON.stringify({ file: TRACED_FILE.replace(/.*\/dist\/test\//, ''), what: words.join(' '), ms: Date.now() - started })}\n`);
}

/** Runs a program with an argument array and collects its output (never throws on exit code). */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      traced(cmd, args, started);
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Like run, but throws with the program's stderr when it fails. */
export async function runOk(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/**
 * Awaits a set-up command and fails the test, with the program's output, when it did not succeed:
 * a step that silently failed would leave later assertions testing something else.
 */
export async function expectOk(result: Promise<RunResult>, what = 'set-up command'): Promise<RunResult> {
  const r = await result;
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

const cleanups: (() => void)[] = [];
process.on('exit', () => {
  for (const c of cleanups.reverse()) {
    try {
      c();
    } catch {
      /* best effort at exit */
    }
  }
});

/** A temporary directory removed when the test process exits. */
export function tempDir(prefix = 'ferry-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface KeyPair {
  readonly privatePath: string;
  readonly publicPath: string;
  readonly publicLine: string;
  readonly fingerprint: string;
}

export async function makeKey(dir: string, name: string, type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): Promise<KeyPair> {
  const privatePath = join(dir, name);
  const args = ['-q', '-t', type, '-N', '', '-C', `${name}@test`, '-f', privatePath];
  if (type === 'rsa') args.push('-b', '2048');
  await runOk('ssh-keygen', args);
  const publicPath = `${privatePath}.pub`;
  const fp = await runOk('ssh-keygen', ['-lf', publicPath]);
  return { privatePath, publicPath, publicLine: readFileSync(publicPath, 'utf8').trim(), fingerprint: fp.stdout.split(' ')[1] as string };
}

export interface FerryServer {
  readonly dataDir: string;
  readonly sshPort: number;
  readonly httpPort: number;
  readonly baseUrl: string;
  readonly process: ChildProcess;
  /** Everything the server printed so far (stdout + stderr). */
  output(): string;
  /** Runs `ferry --data DIR ARGS…` against this server's data dir. */
  cli(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Like cli, but throws when it fails. */
  cliOk(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  /** ferry.toml contents to write before start. */
  toml?: string;
  /** How long to wait for `ferry: ready` (ms; 30 s unless given). */
  readyTimeoutMs?: number;
}

/** Runs the ferry CLI on a data dir (no server needed). */
export async function ferryCli(dataDir: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [FERRY_BIN, '--data', dataDir, ...args], { ...options, env: { ...process.env, ...(await databaseEnv(dataDir)), ...(options.env ?? {}) } });
}

export async function startFerry(options: StartOptions = {}): Promise<FerryServer> {
  const dataDir = options.dataDir ?? tempDir('ferry-data-');
  if (options.toml !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'ferry.toml'), options.toml);
  }
  // FERRY_TEST_DATABASE=postgres: this data dir's own database on a throwaway PostgreSQL.
  const env = { ...process.env, FERRY_SSH_PORT: '0', FERRY_HTTP_PORT: '0', FERRY_LOG_LEVEL: 'warn', ...(await databaseEnv(dataDir)), ...(options.env ?? {}) };
  const serveStarted = Date.now();
  const child = spawn(process.execPath, [FERRY_BIN, '--data', dataDir, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (output += b.toString('utf8')));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  cleanups.push(() => child.kill('SIGKILL'));
  await new Promise<void>((resolvePromise, reject) => {
    // Start-up takes about 2 s on an idle machine and was seen taking 20 s on a loaded 2-core one:
    // a wait, not something a test checks (three PostgreSQL nodes may ask for longer).
    // A server that never got ready is killed: its pipes would keep the test file's process (and
    // so the whole run, node --test having no time limit) alive for ever.
    const readyMs = options.readyTimeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ferry serve did not become ready in ${readyMs / 1000} s:\n${output}`));
    }, readyMs);
    const check = () => {
      if (output.includes('ferry: ready')) {
        clearTimeout(timer);
        resolvePromise();
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`ferry serve exited ${code} before ready:\n${output}`));
    });
  });
  traced('ferry serve (until ready)', [], serveStarted);
  const sshPort = Number(/ssh listening on [^\s]*:(\d+)/.exec(output)?.[1] ?? 0);
  const httpPort = Number(/http listening on [^\s]*:(\d+)/.exec(output)?.[1] ?? 0);
  const server: FerryServer = {
    dataDir,
    sshPort,
    httpPort,
    baseUrl: `http://127.0.0.1:${httpPort}`,
    process: child,
    output: () => output,
    cli: (args, o) => ferryCli(dataDir, args, o),
    cliOk: async (args, o) => {
      const r = await ferryCli(dataDir, args, o);
      if (r.code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
  return server;
}

/**
 * A client identity: a key, a known_hosts file, and env for hg/git/ssh that use them and
 * nothing from the user's own configuration.
 */
export interface Client {
  readonly key: KeyPair;
  readonly home: string;
  readonly sshCommand: string[];
  readonly env: NodeJS.ProcessEnv;
  hg(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  git(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  ssh(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  sshUrl(path: string): string;
}

export async function makeClient(server: Pick<FerryServer, 'sshPort'>, name: string, key?: KeyPair): Promise<Client> {
  const home = tempDir(`ferry-client-${name}-`);
  const k = key ?? (await makeKey(home, `id_${name}`));
  const knownHosts = join(home, 'known_hosts');
  const sshCommand = [
    'ssh',
    '-F',
    '/dev/null',
    '-i',
    k.privatePath,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    'LogLevel=ERROR',
    '-p',
    String(server.sshPort),
  ];
  const hgrc = join(home, 'hgrc');
  writeFileSync(hgrc, `[ui]\nusername = ${name} <${name}@test>\nssh = ${sshCommand.join(' ')}\n[phases]\npublish = false\n`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    HGRCPATH: hgrc,
    HGPLAIN: '1',
    GIT_SSH_COMMAND: sshCommand.join(' '),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(home, 'gitconfig'),
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: `${name}@test`,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: `${name}@test`,
    GIT_TERMINAL_PROMPT: '0',
  };
  writeFileSync(join(home, 'gitconfig'), '[init]\n\tdefaultBranch = main\n[protocol]\n\tversion = 2\n');
  return {
    key: k,
    home,
    sshCommand,
    env,
    hg: (args, o = {}) => run('hg', args, { ...o, env: { ...env, ...(o.env ?? {}) } }),
    git: (args, o = {}) => run('git', args, { ...o, env: { ...env, ...(o.env ?? {}) } }),
    ssh: (args, o = {}) => run(sshCommand[0] as string, [...sshCommand.slice(1), ...args], { ...o, env: { ...env, ...(o.env ?? {}) } }),
    sshUrl: (path) => `ssh://hg@127.0.0.1:${server.sshPort}/${path}`,
  };
}

/** Creates a user with a fresh key and returns a client for them. */
export async function addUser(server: FerryServer, name: string, options: { admin?: boolean } = {}): Promise<Client> {
  await server.cliOk(['user', 'add', name, ...(options.admin ? ['--admin'] : [])]);
  const client = await makeClient(server, name);
  await server.cliOk(['key', 'add', name, client.key.publicPath]);
  return client;
}

/** Makes a local hg repo with `count` commits, returns its directory. */
export async function makeHgRepo(client: Client, count = 3, dir?: string): Promise<string> {
  const repo = dir ?? join(tempDir('ferry-hgrepo-'), 'repo');
  await expectOk(client.hg(['init', repo]), `hg init ${repo}`);
  for (let i = 0; i < count; i++) {
    writeFileSync(join(repo, `file${i}.txt`), `content ${i}\n`);
    await expectOk(client.hg(['-R', repo, 'commit', '-A', '-m', `commit ${i}`]), `hg commit in ${repo}`);
  }
  return repo;
}

/** git with no system or user configuration and a fixed identity, for making test content. */
export const PLAIN_GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@test',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@test',
};

/**
 * Waits (up to `timeoutMs`) until `server` has printed something matching `pattern` after its
 * first `from` characters of output: that output. Fails the test with the output otherwise.
 */
export async function waitForOutput(server: Pick<FerryServer, 'output'>, pattern: RegExp, from = 0, timeoutMs = 30_000): Promise<string> {
  const started = Date.now();
  for (;;) {
    const text = server.output().slice(from);
    if (pattern.test(text)) return text;
    if (Date.now() - started > timeoutMs) throw new Error(`the server never printed ${pattern} in ${timeoutMs / 1000} s:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until `server`'s CDN workers ([cdn] workers) are up and serving (it logs "cdn workers ready"). */
export function waitForCdnWorkers(server: Pick<FerryServer, 'output'>): Promise<string> {
  return waitForOutput(server, /cdn workers ready/);
}

/**
 * A new git repo of `files` (name → text) committed once on `main` and pushed by `client` over SSH
 * to `repoPath` on `server`; fails the test on any error.
 */
export async function pushGitFiles(client: Client, server: Pick<FerryServer, 'sshPort'>, repoPath: string, files: Readonly<Record<string, string>>): Promise<void> {
  const work = join(tempDir('ferry-push-'), 'w');
  await expectOk(client.git(['init', '-q', '-b', 'main', work]));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(work, name), text);
  await expectOk(client.git(['-C', work, 'add', '-A']));
  await expectOk(client.git(['-C', work, 'commit', '-q', '-m', 'one']));
  await expectOk(client.git(['-C', work, 'push', '-q', `ssh://git@127.0.0.1:${server.sshPort}/${repoPath}`, 'main']));
}
