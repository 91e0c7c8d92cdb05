/**
 * SSH benchmark: the same corpus repo cloned, identified and pushed to through Ferry and through
 * OpenSSH's sshd running `hg -R … serve --stdio`, in one run, with two references:
 *   openssh+hg  — the seed's stack: sshd starting plain (Python) hg per session;
 *   openssh+chg — the strongest fair one: sshd starting chg with Ferry's own hgrc (the same
 *                 extensions: evolve, topic, the single-head hook), so hg's start-up is paid once
 *                 as in Ferry.
 *   ferry-plain — Ferry itself with `[hg] evolve = false` (no evolve or topic loaded), to show
 *                 what loading evolve costs Ferry (issue 13: no regression beyond noise).
 * Prints medians and ratios (Ferry / reference; lower is better); targets are applied against the
 * stronger (faster) reference. The order of the sides rotates every run.
 *
 *   npm run build && node dist/bench/ssh.js [--runs N]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareReferenceSshd, SSHD } from './reference-sshd.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CORPUS = process.env.FERRY_CORPUS ?? '/tmp/ferry-corpus';
const CORPUS_SCRIPT = resolve(ROOT, '..', 'shared', 'corpus', 'corpus.sh');
const GEN = resolve(ROOT, '..', 'shared', 'corpus', 'gen_corpus.py');
const BIG = join(CORPUS, 'big-hg');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function ensureTools(): void {
  if (!existsSync(SSHD)) {
    console.log('installing openssh-server for the reference');
    sh('apt-get', ['update', '-q']);
    sh('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'openssh-server'], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
  }
  if (!existsSync(join(BIG, '.hg', 'requires'))) {
    console.log(`generating the corpus in ${CORPUS}`);
    sh('bash', [CORPUS_SCRIPT, CORPUS]);
  }
}

const work = mkdtempSync(join(tmpdir(), 'ferry-bench-ssh-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

function startProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolvePromise, reject) => {
    const onData = (b: Buffer) => {
      output += b.toString();
      if (ready.test(output)) resolvePromise({ child, output: () => output });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${output}`)));
  });
}

function copyRepo(dest: string): void {
  mkdirSync(dirname(dest), { recursive: true });
  rmSync(dest, { recursive: true, force: true });
  sh('cp', ['-a', BIG, dest]);
}

function time(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The interquartile range of `xs` relative to its median (0.1 = 10%), the noise a ratio is judged against. */
function spread(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const q = (f: number) => s[Math.min(s.length - 1, Math.floor(f * s.length))] as number;
  return (q(0.75) - q(0.25)) / median(xs);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  ensureTools();
  const key = join(work, 'id_ed25519');
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const knownHosts = join(work, 'known_hosts');
  const sshBase = `ssh -F /dev/null -i ${key} -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=no -o LogLevel=ERROR`;
  const clientRc = join(work, 'client.hgrc');
  writeFileSync(clientRc, `[ui]\nusername = bench <bench@ferry.invalid>\nssh = ${sshBase}\n`);
  const clientEnv = { ...process.env, HGRCPATH: clientRc, HGPLAIN: '1', HOME: work };
  const hg = (args: string[]) => sh('hg', args, clientEnv);

  // Ferry, and Ferry without evolve: the same repos, users and keys in two data dirs.
  const startFerrySide = async (name: string, extraEnv: NodeJS.ProcessEnv): Promise<{ data: string; port: number; child: ChildProcess }> => {
    const data = join(work, name);
    const env = { ...process.env, FERRY_SSH_PORT: '0', FERRY_HTTP_PORT: '0', FERRY_LOG_LEVEL: 'warn', ...extraEnv };
    const ferryCli = (args: string[]) => sh(process.execPath, [join(ROOT, 'bin', 'ferry.js'), '--data', data, ...args], env);
    ferryCli(['user', 'add', 'bench', '--admin']);
    ferryCli(['key', 'add', 'bench', `${key}.pub`]);
    ferryCli(['repo', 'create', 'bench/big']);
    ferryCli(['repo', 'create', 'bench/push']);
    copyRepo(join(data, 'repos', 'bench', 'big'));
    const started = await startProcess(process.execPath, [join(ROOT, 'bin', 'ferry.js'), '--data', data, 'serve'], env, /ferry: ready/);
    return { data, port: Number(/ssh listening on [^\s]*:(\d+)/.exec(started.output())?.[1]), child: started.child };
  };
  const ferry = await startFerrySide('ferry-data', {});
  const plain = await startFerrySide('ferry-plain-data', { FERRY_HG_EVOLVE: 'false' });
  const data = ferry.data;
  const ferryPort = ferry.port;

  // OpenSSH reference: sshd on loopback running hg -R … serve --stdio for root.
  const { port: sshdPort, args: sshdArgs } = await prepareReferenceSshd(join(work, 'sshd'), readFileSync(`${key}.pub`, 'utf8'));
  const sshd = spawn(SSHD, sshdArgs, { stdio: 'ignore' });
  children.push(sshd);
  const refRepos = join(work, 'ref-repos');
  copyRepo(join(refRepos, 'big'));
  for (let i = 0; i < 100 && spawnSync('ssh', [...sshBase.split(' ').slice(1), '-p', String(sshdPort), 'root@127.0.0.1', 'true']).status !== 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }

  // The chg reference runs chg on the server side with Ferry's own hgrc (written by `ferry serve`).
  const chgServe = join(work, 'chg-serve');
  writeFileSync(chgServe, `#!/bin/sh\nHGRCPATH='${join(data, 'etc', 'hgrc')}' HGPLAIN=1 CHGSOCKNAME='${join(work, 'chg-ref.sock')}' exec chg "$@"\n`, { mode: 0o755 });
  const chgRepos = join(work, 'chg-repos');
  copyRepo(join(chgRepos, 'big'));

  const targets = {
    ferry: { url: (p: string) => `ssh://bench@127.0.0.1:${ferryPort}/bench/${p}`, dir: (p: string) => join(data, 'repos', 'bench', p), remote: [] as string[] },
    'ferry-plain': { url: (p: string) => `ssh://bench@127.0.0.1:${plain.port}/bench/${p}`, dir: (p: string) => join(plain.data, 'repos', 'bench', p), remote: [] as string[] },
    openssh: { url: (p: string) => `ssh://root@127.0.0.1:${sshdPort}/${join(refRepos, p)}`, dir: (p: string) => join(refRepos, p), remote: [] as string[] },
    'openssh+chg': { url: (p: string) => `ssh://root@127.0.0.1:${sshdPort}/${join(chgRepos, p)}`, dir: (p: string) => join(chgRepos, p), remote: ['--remotecmd', chgServe] },
  } as const;
  type Side = keyof typeof targets;
  const sides: Side[] = ['openssh', 'openssh+chg', 'ferry', 'ferry-plain'];

  // The push source: a clone of the corpus with 50 new draft changesets.
  const source = join(work, 'push-source');
  hg(['clone', '-q', '-U', BIG, source]);
  sh('/usr/bin/python3', [GEN, 'addcommits', source, '50', '7'], { ...process.env, HGRCPATH: '' });

  // Warm-up (chg's server, page cache, host keys) on both sides.
  for (const side of sides) {
    const t = targets[side];
    hg(['identify', ...t.remote, t.url('big')]);
    hg(['clone', '-q', '-U', ...t.remote, t.url('big'), join(work, `warm-${side}`)]);
    rmSync(join(work, `warm-${side}`), { recursive: true, force: true });
    // The push target is warmed too (page cache, chg's server for that repo), as Ferry's is.
    copyRepo(t.dir('push'));
    hg(['-R', source, 'push', '-q', '-r', 'tip', ...t.remote, t.url('push')]);
  }

  const empty = (): Record<Side, number[]> => ({ ferry: [], 'ferry-plain': [], openssh: [], 'openssh+chg': [] });
  const results: Record<string, Record<Side, number[]>> = { clone: empty(), identify: empty(), push: empty() };
  for (let run = 0; run < RUNS; run++) {
    // Rotate which side goes first: a slow spell of the machine must not land on one side only.
    const order = sides.map((_, i) => sides[(i + run) % sides.length] as Side);
    for (const side of order) {
      const t = targets[side];
      const dest = join(work, `clone-${side}`);
      results.clone![side].push(time(() => hg(['clone', '-q', '-U', ...t.remote, t.url('big'), dest])));
      rmSync(dest, { recursive: true, force: true });
      for (let i = 0; i < 3; i++) results.identify![side].push(time(() => hg(['identify', '-r', 'tip', ...t.remote, t.url('big')])));
      copyRepo(t.dir('push'));
      results.push![side].push(time(() => hg(['-R', source, 'push', '-q', '-r', 'tip', ...t.remote, t.url('push')])));
    }
  }
  const changed = sh('hg', ['-R', targets.ferry.dir('push'), 'log', '-r', 'tip', '-T', '{desc}'], { ...process.env, HGRCPATH: '' });
  if (!changed.startsWith('push-bench')) throw new Error('the push did not arrive through Ferry');

  const targetsRatio: Record<string, number> = { clone: 1.0, identify: 0.7, push: 0.8 };
  const label: Record<string, string> = { clone: 'clone 3000 changesets', identify: 'hg identify round trip', push: 'push 50 changesets' };
  const openssh = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.split(',')[0];
  const hgVersion = /\(version ([^)]+)\)/.exec(sh('hg', ['version'], { ...process.env, HGRCPATH: '' }))?.[1] ?? '?';
  console.log(`\nSSH benchmark (${RUNS} runs, medians, order rotating; load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`);
  console.log(`sides: ferry (its SSH server, chg, its hgrc with evolve and topic) | ferry-plain: the same with [hg] evolve = false | openssh+hg: ${openssh} sshd + plain hg ${hgVersion} serve --stdio (the seed's stack) | openssh+chg: the same sshd + chg with Ferry's hgrc (the strongest fair reference); all warmed alike`);
  for (const op of Object.keys(results)) {
    const f = median(results[op]!.ferry);
    const o = median(results[op]!.openssh);
    const c = median(results[op]!['openssh+chg']);
    const strongest = Math.min(o, c);
    const ratio = f / strongest;
    const ok = ratio <= (targetsRatio[op] as number) ? 'ok' : 'MISSED';
    console.log(
      `${(label[op] as string).padEnd(26)} ferry ${f.toFixed(0).padStart(6)} ms   openssh+hg ${o.toFixed(0).padStart(6)} ms (${(f / o).toFixed(2)}x)   openssh+chg ${c.toFixed(0).padStart(6)} ms (${(f / c).toFixed(2)}x)   ` +
        `vs the stronger: ${ratio.toFixed(2)}x (target <= ${targetsRatio[op]}) ${ok}`,
    );
  }
  // What loading evolve costs: Ferry with it against Ferry without, per operation, with the spread
  // of the no-evolve side as the noise it is judged against.
  console.log('\nevolve loaded (ferry) against not (ferry-plain):');
  for (const op of Object.keys(results)) {
    const f = median(results[op]!.ferry);
    const p = median(results[op]!['ferry-plain']);
    const noise = spread(results[op]!['ferry-plain']);
    const verdict = f / p - 1 <= noise ? 'within noise' : 'SLOWER beyond noise';
    console.log(`${(label[op] as string).padEnd(26)} with ${f.toFixed(0).padStart(6)} ms   without ${p.toFixed(0).padStart(6)} ms   ${(f / p).toFixed(2)}x   (noise: the without side's interquartile spread, ${(noise * 100).toFixed(0)}%) ${verdict}`);
  }
  ferry.child.kill('SIGTERM');
  plain.child.kill('SIGTERM');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
