/**
 * HTTP transport benchmark, one run, ratios against references measured in the same run:
 *   - hg clone and push of big-hg (3000 changesets) through Ferry's HTTP vs `hg serve` on the
 *     same repo with the same server hgrc (also 4 clones at once). Ferry seeds full clones from
 *     a pre-made stream clone bundle (hg's clonebundles; `hg serve` has none unless an operator
 *     makes and hosts one), so the clone is measured twice: as a client gets it, and with
 *     `--config ui.clonebundles=false` on the client, which leaves the HTTP layers alone;
 *   - git clone and push of big-git through Ferry's HTTP vs git over OpenSSH (sshd on loopback,
 *     installed here when missing, temporary config);
 *   - git clone of big-git after many pushes, before and after Ferry's housekeeping repack
 *     (bench/git-housekeeping.ts), against the same OpenSSH reference.
 * Push = the whole history into an empty repository. Each figure is the median of --runs.
 *
 *   npm run build && node dist/bench/http.js [--runs 3] [--only TEXT (operations whose name has it)]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from './free-port.js';
import { gitCloneBeforeAfterHousekeeping } from './git-housekeeping.js';
import { prepareReferenceSshd, SSHD } from './reference-sshd.js';

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
    ['ssh', 'openssh-client'],
  ]
    .filter(([program]) => !have(program as string))
    .map(([, pkg]) => pkg as string);
  if (!existsSync(SSHD)) missing.push('openssh-server');
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

function start(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
  child.kill('SIGTERM');
  await exited;
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

  // Ferry, with the corpus repos in place and an empty repo per push run.
  const data = join(work, 'ferry-data');
  const ferry = (args: string[]) => sh(process.execPath, [FERRY, '--data', data, ...args]);
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
  }
  const ferryProcess = start(process.execPath, [FERRY, '--data', data, 'serve'], { ...process.env, FERRY_HTTP_PORT: String(await freePort()), FERRY_SSH_PORT: String(await freePort()), FERRY_LOG_LEVEL: 'warn' });
  const httpPort = await new Promise<number>((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`ferry did not start: ${out}`)), 30_000);
    ferryProcess.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /http listening on [^\s]*:(\d+)/.exec(out);
      if (m && out.includes('ferry: ready')) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    });
  });
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

  // OpenSSH on loopback for the git reference.
  const sshDir = join(work, 'sshd');
  mkdirSync(sshDir, { mode: 0o700 });
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(sshDir, 'client_key')]);
  const { port: sshPort, args: sshdArgs } = await prepareReferenceSshd(sshDir, readFileSync(join(sshDir, 'client_key.pub'), 'utf8'));
  const sshd = start(SSHD, sshdArgs, process.env);
  await waitForPort(sshPort, 'sshd');
  const gitSshEnv = {
    ...clientEnv,
    GIT_SSH_COMMAND: `ssh -F /dev/null -i ${join(sshDir, 'client_key')} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -p ${sshPort}`,
  };
  const refGit = join(work, 'ref-big-git.git');
  cpSync(join(CORPUS, 'big-git.git'), refGit, { recursive: true });
  const sshUrl = (dir: string) => `ssh://${userInfo().username}@127.0.0.1${dir}`;

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
    'hg clone big-hg',
    'hg serve',
    () => timed('hg', ['clone', '-q', '-U', ferryUrl('bench/big-hg'), join(dest(), 'c')], clientEnv),
    () => timed('hg', ['clone', '-q', '-U', refServe.url, join(dest(), 'c')], clientEnv),
  );
  const noBundles = ['--config', 'ui.clonebundles=false'];
  await measure(
    'hg clone big-hg, clone bundles off',
    'hg serve',
    () => timed('hg', ['clone', '-q', '-U', ...noBundles, ferryUrl('bench/big-hg'), join(dest(), 'c')], clientEnv),
    () => timed('hg', ['clone', '-q', '-U', ...noBundles, refServe.url, join(dest(), 'c')], clientEnv),
  );
  const parallel = async (url: string) => {
    const t0 = process.hrtime.bigint();
    await Promise.all([0, 1, 2, 3].map(() => timed('hg', ['clone', '-q', '-U', url, join(dest(), 'c')], clientEnv)));
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  await measure('4 hg clones at once', 'hg serve', () => parallel(ferryUrl('bench/big-hg')), () => parallel(refServe.url));
  await stop(refServe.child);
  await measure(
    'hg push big-hg into an empty repo',
    'hg serve',
    (i) => timed('hg', ['-R', hgSource, 'push', '-q', '-f', ferryUrl(`bench/push-hg-${i}`)], clientEnv),
    async (i) => {
      const target = join(work, `ref-push-hg-${i}`);
      sh('hg', ['init', target], clientEnv);
      const serve = await hgServe(target);
      try {
        return await timed('hg', ['-R', hgSource, 'push', '-q', '-f', serve.url], clientEnv);
      } finally {
        await stop(serve.child);
      }
    },
  );
  await measure(
    'git clone big-git',
    'git over OpenSSH',
    () => timed('git', ['clone', '-q', '--bare', ferryUrl('bench/big-git'), join(dest(), 'c.git')], clientEnv),
    () => timed('git', ['clone', '-q', '--bare', sshUrl(refGit), join(dest(), 'c.git')], gitSshEnv),
  );
  await measure(
    'git push big-git into an empty repo',
    'git over OpenSSH',
    (i) => timed('git', ['-C', gitSource, 'push', '-q', '--mirror', ferryUrl(`bench/push-git-${i}`)], clientEnv),
    (i) => {
      const target = join(work, `ref-push-git-${i}.git`);
      sh('git', ['init', '-q', '--bare', target], clientEnv);
      return timed('git', ['-C', gitSource, 'push', '-q', '--mirror', sshUrl(target)], gitSshEnv);
    },
  );

  if ('git clone big-git after housekeeping'.includes(opts.only ?? '')) {
    const reference = (to: string) => timed('git', ['clone', '-q', '--bare', sshUrl(refGit), to], gitSshEnv);
    rows.push(...(await gitCloneBeforeAfterHousekeeping({ ferryBin: FERRY, work, runs: RUNS, clientEnv, gitSource, reference, timed, median, sh })));
  }

  await stop(sshd);
  await stop(ferryProcess);
  console.log('\nmedian wall time; ratio = ferry / reference (below 1.00: Ferry is faster)');
  console.log(`${'operation'.padEnd(38)}${'ferry'.padStart(9)}${'reference'.padStart(11)}  ${'ratio'.padStart(6)}  reference`);
  for (const r of rows) {
    console.log(`${r.what.padEnd(38)}${`${r.ferry.toFixed(2)} s`.padStart(9)}${`${r.ref.toFixed(2)} s`.padStart(11)}  ${(r.ferry / r.ref).toFixed(2).padStart(6)}  ${r.refName}`);
  }
}

function cleanUp(): void {
  for (const child of [...children]) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });
}
try {
  await main();
} finally {
  cleanUp();
}
