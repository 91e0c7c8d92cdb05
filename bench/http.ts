/**
 * HTTP transport benchmark, one run, ratios against references measured in the same run:
 *   - hg clone and push of big-hg (3000 changesets) through Ferry's HTTP vs `hg serve` on the
 *     same repo with the same server hgrc (also 4 clones at once). Ferry seeds full clones from
 *     a pre-made stream clone bundle (hg's clonebundles), so its bundle rows are compared with
 *     `hg clone --stream` from `hg serve` (a stream clone too: like with like), and the clone is
 *     measured once more with `--config ui.clonebundles=false` on the client against a normal
 *     `hg serve` clone, which leaves the HTTP layers alone. Every row says which it is;
 *   - git clone and push of big-git through Ferry's HTTP vs `git http-backend` over plain HTTP
 *     (Debian's nginx with fcgiwrap, installed here when missing): smart HTTP on both sides;
 *   - git clone of big-git after many pushes, before and after Ferry's housekeeping repack
 *     (bench/git-housekeeping.ts), against the same git http-backend reference;
 *   - "evolve cost" rows: hg clone and push through Ferry against a second Ferry with
 *     `[hg] evolve = false`, to show that loading evolve and topic costs nothing beyond noise.
 * Push = the whole history into an empty repository; the references' push targets are served by
 * one server started (and warmed) before the runs, as Ferry is. Each figure is the median of --runs.
 *
 *   npm run build && node dist/bench/http.js [--runs 3] [--only TEXT (operations whose name has it)]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from './free-port.js';
import { gitCloneBeforeAfterHousekeeping } from './git-housekeeping.js';
import { gitHttpBackendSite, writeNginxConfig } from './nginx-config.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FERRY = join(ROOT, 'bin', 'ferry.js');
const CORPUS = process.env.FERRY_CORPUS ?? '/tmp/ferry-corpus';
const CORPUS_SCRIPT = resolve(ROOT, '..', 'shared', 'corpus', 'corpus.sh');

const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '3' }, only: { type: 'string', default: '' } } });
const RUNS = Math.max(1, Number(opts.runs));
const children: ChildProcess[] = [];
const work = mkdtempSync(join(tmpdir(), 'ferry-bench-http-'));

function sh(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { env, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString() ?? r.error?.message}`);
  return r.stdout.toString();
}

function have(program: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', program]).status === 0;
}

/** Bench-only tools come from Debian, installed here when missing (CI runs on a fresh machine). */
function ensureTools(): void {
  const missing = [
    ['hg', 'mercurial'],
    ['git', 'git'],
    ['nginx', 'nginx-light'],
    ['fcgiwrap', 'fcgiwrap'],
  ]
    .filter(([program]) => !have(program as string) && !existsSync(`/usr/sbin/${program}`))
    .map(([, pkg]) => pkg as string);
  if (missing.length === 0) return;
  console.log(`installing ${missing.join(', ')} from Debian`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const apt = (args: string[]) => sh(sudo[0] ?? 'apt-get', sudo.length ? ['apt-get', ...args] : args, { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
  apt(['update', '-q']);
  apt(['install', '-y', '-q', '--no-install-recommends', ...missing]);
}

function ensureCorpus(): void {
  if (existsSync(join(CORPUS, 'big-hg', '.hg')) && existsSync(join(CORPUS, 'big-git.git', 'HEAD'))) return;
  console.log(`generating the corpus in ${CORPUS} (once)`);
  sh('bash', [CORPUS_SCRIPT, CORPUS]);
}


async function waitForPort(port: number, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise<boolean>((res) => {
      const c = createConnection({ port, host: '127.0.0.1' }, () => {
        c.destroy();
        res(true);
      });
      c.on('error', () => res(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${what} did not listen on ${port}`);
}

/**
 * Starts a server in a process group of its own, so stop() ends what it forks too (fcgiwrap's
 * workers, nginx's): a worker left behind holds the output pipes open and the bench never exits.
 */
function start(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  child.on('exit', (code) => {
    if (code !== 0 && code !== null && children.includes(child)) console.error(`${cmd} exited ${code}: ${output.slice(-2000)}`);
  });
  children.push(child);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  children.splice(children.indexOf(child), 1);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  killGroup(child, 'SIGTERM');
  await exited;
}

/** Signals the process group start() made for `child` (the child and what it forked). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Wall time of one client command, which must succeed. */
function timed(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code) => {
      if (code !== 0) rej(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`));
      else res(Number(process.hrtime.bigint() - t0) / 1e9);
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
}

async function main(): Promise<void> {
  ensureTools();
  ensureCorpus();
  const clientHome = join(work, 'home');
  mkdirSync(clientHome);
  const clientEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: clientHome,
    LANG: 'C.UTF-8',
    HGRCPATH: '',
    HGPLAIN: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
  };

  // Ferry, with the corpus repos in place and an empty repo per push run; a second Ferry with
  // `[hg] evolve = false` shows what loading evolve costs (issue 13).
  const startFerrySide = async (name: string, extraEnv: NodeJS.ProcessEnv) => {
    const data = join(work, name);
    const env = { ...process.env, ...extraEnv };
    const ferry = (args: string[]) => sh(process.execPath, [FERRY, '--data', data, ...args], env);
    ferry(['user', 'add', 'bench', '--admin']);
    const token = ferry(['token', 'add', 'bench']).trim();
    ferry(['repo', 'create', 'bench/big-hg']);
    ferry(['repo', 'create', 'bench/big-git', '--git']);
    for (const [path, src] of [
      ['bench/big-hg', join(CORPUS, 'big-hg')],
      ['bench/big-git', join(CORPUS, 'big-git.git')],
    ] as const) {
      rmSync(join(data, 'repos', path), { recursive: true });
      cpSync(src, join(data, 'repos', path), { recursive: true });
    }
    for (let i = 0; i < RUNS; i++) {
      ferry(['repo', 'create', `bench/push-hg-${i}`]);
      ferry(['repo', 'create', `bench/push-git-${i}`, '--git']);
      ferry(['repo', 'create', `bench/evolve-push-hg-${i}`]);
    }
    const child = start(process.execPath, [FERRY, '--data', data, 'serve'], { ...env, FERRY_HTTP_PORT: String(await freePort()), FERRY_SSH_PORT: String(await freePort()), FERRY_LOG_LEVEL: 'warn' });
    const port = await new Promise<number>((res, rej) => {
      let out = '';
      const timer = setTimeout(() => rej(new Error(`ferry did not start: ${out}`)), 30_000);
      child.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /http listening on [^\s]*:(\d+)/.exec(out);
        if (m && out.includes('ferry: ready')) {
          clearTimeout(timer);
          res(Number(m[1]));
        }
      });
    });
    return { data, token, port, child, url: (path: string) => `http://bench:${token}@127.0.0.1:${port}/${path}` };
  };
  const main = await startFerrySide('ferry-data', {});
  const evolveRows = ['evolve cost: hg clone big-hg, clone bundles off', 'evolve cost: hg push big-hg into an empty repo'];
  const plain = evolveRows.some((w) => w.includes(opts.only)) ? await startFerrySide('ferry-plain-data', { FERRY_HG_EVOLVE: 'false' }) : undefined;
  const { data, token, port: httpPort, child: ferryProcess } = main;
  const ferryUrl = (path: string) => `http://bench:${token}@127.0.0.1:${httpPort}/${path}`;
  const serverHgrc = join(data, 'etc', 'hgrc');

  // hg serve on a copy of the same repo, with Ferry's server hgrc.
  const hgServeEnv = { ...clientEnv, HGRCPATH: serverHgrc };
  const refHg = join(work, 'ref-big-hg');
  cpSync(join(CORPUS, 'big-hg'), refHg, { recursive: true });
  const hgServe = async (repo: string) => {
    const port = await freePort();
    const child = start('hg', ['serve', '-R', repo, '-p', String(port), '-a', '127.0.0.1', '--config', 'web.allow-push=*', '--config', 'web.push_ssl=false', '-A', '/dev/null', '-E', '/dev/null'], hgServeEnv);
    await waitForPort(port, 'hg serve');
    return { child, url: `http://127.0.0.1:${port}/` };
  };

  // git http-backend over plain HTTP for the git reference: nginx in front of fcgiwrap.
  const gitRoot = join(work, 'git-root');
  mkdirSync(gitRoot);
  const refGit = join(gitRoot, 'ref-big-git.git');
  cpSync(join(CORPUS, 'big-git.git'), refGit, { recursive: true });
  for (let i = 0; i < RUNS; i++) {
    const target = join(gitRoot, `ref-push-git-${i}.git`);
    sh('git', ['init', '-q', '--bare', target], clientEnv);
    sh('git', ['-C', target, 'config', 'http.receivepack', 'true'], clientEnv);
  }
  const gitHttp = await startGitHttpBackend(gitRoot);
  const gitHttpUrl = (name: string) => `${gitHttp.url}${name}`;

  // Local sources for the pushes.
  const hgSource = join(work, 'src-hg');
  sh('hg', ['clone', '-q', '-U', join(CORPUS, 'big-hg'), hgSource], clientEnv);
  const gitSource = join(work, 'src-git.git');
  sh('git', ['clone', '-q', '--mirror', join(CORPUS, 'big-git.git'), gitSource], clientEnv);

  // Warm both servers up (Ferry's hgweb starts on first use; hg serve has loaded by now).
  const refServe = await hgServe(refHg);
  await timed('hg', ['identify', ferryUrl('bench/big-hg')], clientEnv);
  await timed('hg', ['identify', refServe.url], clientEnv);

  // Ferry builds the clone bundle in the background after the first capabilities request.
  const manifestUrl = `http://127.0.0.1:${httpPort}/bench/big-hg?cmd=clonebundles`;
  const auth = { Authorization: `Basic ${Buffer.from(`bench:${token}`).toString('base64')}` };
  for (let i = 0; ; i++) {
    if ((await (await fetch(manifestUrl, { headers: auth })).text()) !== '') break;
    if (i > 600) throw new Error('Ferry never offered a clone bundle for bench/big-hg');
    await sleep(100);
  }

  const rows: { what: string; ferry: number; ref: number; refName: string }[] = [];
  const dest = () => mkdtempSync(join(work, 'clone-'));
  const measure = async (what: string, refName: string, ferryRun: (i: number) => Promise<number>, refRun: (i: number) => Promise<number>) => {
    if (!what.includes(opts.only ?? '')) return;
    const f: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Alternate the order so neither side always runs on a warmer cache.
      if (i % 2 === 0) {
        f.push(await ferryRun(i));
        r.push(await refRun(i));
      } else {
        r.push(await refRun(i));
        f.push(await ferryRun(i));
      }
    }
    rows.push({ what, ferry: median(f), ref: median(r), refName });
    console.log(`  ${what}: ferry ${f.map((x) => x.toFixed(2)).join(' ')} s | ${refName} ${r.map((x) => x.toFixed(2)).join(' ')} s`);
  };

  console.log(`measuring (${RUNS} runs each)…`);
  await measure(
    'hg clone big-hg (ferry: stream clone bundle)',
    'hg serve, client --stream',
    () => timed('hg', ['clone', '-q', '-U', ferryUrl('bench/big-hg'), join(dest(), 'c')], clientEnv),
    () => timed('hg', ['clone', '-q', '-U', '--stream', refServe.url, join(dest(), 'c')], clientEnv),
  );
  const noBundles = ['--config', 'ui.clonebundles=false'];
  await measure(
    'hg clone big-hg, clone bundles off',
    'hg serve, normal clone',
    () => timed('hg', ['clone', '-q', '-U', ...noBundles, ferryUrl('bench/big-hg'), join(dest(), 'c')], clientEnv),
    () => timed('hg', ['clone', '-q', '-U', ...noBundles, refServe.url, join(dest(), 'c')], clientEnv),
  );
  const parallel = async (url: string, extra: readonly string[]) => {
    const t0 = process.hrtime.bigint();
    await Promise.all([0, 1, 2, 3].map(() => timed('hg', ['clone', '-q', '-U', ...extra, url, join(dest(), 'c')], clientEnv)));
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  await measure('4 hg clones at once (ferry: stream clone bundle)', 'hg serve, client --stream', () => parallel(ferryUrl('bench/big-hg'), []), () => parallel(refServe.url, ['--stream']));
  await stop(refServe.child);
  // The reference's push targets: one `hg serve --web-conf` for all of them, started and warmed
  // before the runs (Ferry's hgweb is warm too), not a cold Python start inside each timed push.
  const pushRoot = join(work, 'ref-push-hg');
  mkdirSync(pushRoot);
  for (let i = 0; i < RUNS; i++) sh('hg', ['init', join(pushRoot, `push-${i}`)], clientEnv);
  const webConf = join(work, 'ref-push-hg.conf');
  writeFileSync(webConf, `[paths]\n/ = ${pushRoot}/*\n[web]\nallow-push = *\npush_ssl = false\n`);
  const pushPort = await freePort();
  const pushServe = start('hg', ['serve', '--web-conf', webConf, '-p', String(pushPort), '-a', '127.0.0.1', '-A', '/dev/null', '-E', '/dev/null'], hgServeEnv);
  await waitForPort(pushPort, 'hg serve --web-conf');
  for (let i = 0; i < RUNS; i++) await timed('hg', ['identify', `http://127.0.0.1:${pushPort}/push-${i}`], clientEnv).catch(() => 0);
  for (let i = 0; i < RUNS; i++) await timed('hg', ['identify', ferryUrl(`bench/push-hg-${i}`)], clientEnv).catch(() => 0);
  await measure(
    'hg push big-hg into an empty repo',
    'hg serve (warm)',
    (i) => timed('hg', ['-R', hgSource, 'push', '-q', '-f', ferryUrl(`bench/push-hg-${i}`)], clientEnv),
    (i) => timed('hg', ['-R', hgSource, 'push', '-q', '-f', `http://127.0.0.1:${pushPort}/push-${i}`], clientEnv),
  );
  await stop(pushServe);
  if (plain) {
    // What loading evolve costs Ferry: the same operations on Ferry with and without it.
    await timed('hg', ['identify', plain.url('bench/big-hg')], clientEnv);
    await measure(
      evolveRows[0] as string,
      'ferry, [hg] evolve = false',
      () => timed('hg', ['clone', '-q', '-U', ...noBundles, ferryUrl('bench/big-hg'), join(dest(), 'c')], clientEnv),
      () => timed('hg', ['clone', '-q', '-U', ...noBundles, plain.url('bench/big-hg'), join(dest(), 'c')], clientEnv),
    );
    await measure(
      evolveRows[1] as string,
      'ferry, [hg] evolve = false',
      (i) => timed('hg', ['-R', hgSource, 'push', '-q', '-f', ferryUrl(`bench/evolve-push-hg-${i}`)], clientEnv),
      (i) => timed('hg', ['-R', hgSource, 'push', '-q', '-f', plain.url(`bench/evolve-push-hg-${i}`)], clientEnv),
    );
    await stop(plain.child);
  }
  await timed('git', ['ls-remote', gitHttpUrl('ref-big-git.git')], clientEnv);
  await timed('git', ['ls-remote', ferryUrl('bench/big-git')], clientEnv);
  await measure(
    'git clone big-git',
    'git http-backend (nginx+fcgiwrap)',
    () => timed('git', ['clone', '-q', '--bare', ferryUrl('bench/big-git'), join(dest(), 'c.git')], clientEnv),
    () => timed('git', ['clone', '-q', '--bare', gitHttpUrl('ref-big-git.git'), join(dest(), 'c.git')], clientEnv),
  );
  await measure(
    'git push big-git into an empty repo',
    'git http-backend (nginx+fcgiwrap)',
    (i) => timed('git', ['-C', gitSource, 'push', '-q', '--mirror', ferryUrl(`bench/push-git-${i}`)], clientEnv),
    (i) => timed('git', ['-C', gitSource, 'push', '-q', '--mirror', gitHttpUrl(`ref-push-git-${i}.git`)], clientEnv),
  );

  if ('git clone big-git after housekeeping'.includes(opts.only ?? '')) {
    const reference = (to: string) => timed('git', ['clone', '-q', '--bare', gitHttpUrl('ref-big-git.git'), to], clientEnv);
    rows.push(...(await gitCloneBeforeAfterHousekeeping({ ferryBin: FERRY, work, runs: RUNS, clientEnv, gitSource, reference, timed, median, sh })));
  }

  await stop(gitHttp.fcgiwrap);
  await stop(gitHttp.nginx);
  await stop(ferryProcess);
  const hgVersion = /\(version ([^)]+)\)/.exec(sh('hg', ['version'], clientEnv))?.[1] ?? '?';
  const gitVersion = sh('git', ['--version'], clientEnv).trim();
  console.log(`\nsides: Ferry (its HTTP server, hgweb behind it, git http-backend behind it; warm) vs hg serve (Mercurial ${hgVersion}, Ferry's server hgrc; warm) and ${gitVersion} http-backend behind nginx+fcgiwrap (warm); clients on loopback`);
  console.log('median wall time; ratio = ferry / reference (below 1.00: Ferry is faster)');
  console.log(`${'operation'.padEnd(38)}${'ferry'.padStart(9)}${'reference'.padStart(11)}  ${'ratio'.padStart(6)}  reference`);
  for (const r of rows) {
    console.log(`${r.what.padEnd(38)}${`${r.ferry.toFixed(2)} s`.padStart(9)}${`${r.ref.toFixed(2)} s`.padStart(11)}  ${(r.ferry / r.ref).toFixed(2).padStart(6)}  ${r.refName}`);
  }
}

/**
 * git's own smart HTTP server as a site would run it: nginx passing every request to
 * git-http-backend through fcgiwrap, repos under `root` (pushes allowed per repo by
 * http.receivepack).
 */
async function startGitHttpBackend(root: string): Promise<{ url: string; nginx: ChildProcess; fcgiwrap: ChildProcess }> {
  const dir = join(work, 'git-http');
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'fcgiwrap.sock');
  const fcgiwrap = start('fcgiwrap', ['-c', '4', '-s', `unix:${socket}`], process.env);
  for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(50);
  // nginx's workers run as an unprivileged user: they must reach the socket (the temp dir is 0700).
  chmodSync(work, 0o755);
  chmodSync(dir, 0o755);
  chmodSync(socket, 0o666);
  const port = await freePort();
  const config = writeNginxConfig(dir, gitHttpBackendSite(root, socket, `127.0.0.1:${port}`));
  const nginx = start('nginx', ['-p', dir, '-c', config], process.env);
  await waitForPort(port, 'nginx (git http-backend)');
  return { url: `http://127.0.0.1:${port}/`, nginx, fcgiwrap };
}

function cleanUp(): void {
  for (const child of [...children]) killGroup(child, 'SIGKILL');
  // Killed servers may still be writing for a moment: a failed removal must not hide the result.
  try {
    rmSync(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  } catch (err) {
    console.error(`could not remove ${work}: ${String(err)}`);
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });
}
try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  cleanUp();
}
