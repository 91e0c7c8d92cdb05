/**
 * Web page speed on a 3000-changeset repository: Ferry's log and commit pages against the same
 * pages from Mercurial's own web server (`hg serve`: hgweb `/log` and `/rev/NODE`), same repo,
 * same machine, same run. Prints absolute milliseconds and ratios, cold and warm apart:
 *   cold — the first request for each page after both servers started, and the first request
 *          for the log and the new commit after a push (Ferry's caches hold nothing for them);
 *   warm — the median (p90) of the next requests, the two sides interleaved request by request.
 * The 100 ms target applies to both.
 *
 * Then blame of a 5,000-line file with 1,000 changesets (hg against hgweb's annotate, interleaved;
 * git alone), cold (the first request after the server started — once its /readyz says ready,
 * as a load balancer would send it — and after a push changing the file) and warm, against the 300 ms server-time target, and a compare of 200 commits.
 *
 *   npm run build && node dist/bench/web.js        (FERRY_CORPUS=/tmp/ferry-corpus by default)
 *
 * `--express` instead times every page kind of an express-sized repo (hg and git, ~11,000
 * commits, ~300 tags, made by ../shared/corpus/gen_corpus.py and cached under
 * FERRY_EXPRESS_CORPUS, default /tmp/ferry-corpus-express), cold and warm, against 50 ms warm:
 *   node dist/bench/web.js --express     (BENCH_EXPRESS_COMMITS=300 makes a small one to try it;
 *                                         BENCH_EXPRESS_PAGES=compare,commit times only those pages)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CORPUS = process.env.FERRY_CORPUS ?? '/tmp/ferry-corpus';
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const TARGET_MS = 100;
const children: ChildProcess[] = [];
const temps: string[] = [];

function cleanup(): void {
  for (const c of children) c.kill('SIGTERM');
  for (const t of temps) rmSync(t, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

function runOk(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** hg with no configuration of the user's or the system's (the bench's own runs and hgweb). */
const HG_ENV: NodeJS.ProcessEnv = { ...process.env, HGRCPATH: '', HGPLAIN: '1' };

/** A fresh Ferry data dir (removed at exit), the `ferry` CLI on it, and admin `bench`'s API token. */
interface BenchData {
  readonly data: string;
  /** Runs `ferry --data DATA ARGS…`; its stdout; throws when it fails. */
  readonly ferry: (args: string[]) => string;
  /** A token of the admin user `bench` (for pushes over HTTP). */
  readonly token: string;
}

function benchData(prefix: string): BenchData {
  const data = mkdtempSync(join(tmpdir(), prefix));
  temps.push(data);
  const ferry = (args: string[]): string => runOk(process.execPath, [join(ROOT, 'bin', 'ferry.js'), '--data', data, ...args]);
  ferry(['user', 'add', 'bench', '--admin']);
  return { data, ferry, token: ferry(['token', 'add', 'bench']).trim() };
}

/**
 * Makes public repo `path` on `bench` and puts a copy of `source` (an hg repo, or for git a
 * git dir) in its place: no push, so housekeeping has not seen it.
 */
function placeRepo(ferry: BenchData['ferry'], reposDir: string, path: string, kind: 'hg' | 'git', source: string): void {
  ferry(['repo', 'create', path, ...(kind === 'git' ? ['--git'] : []), '--public']);
  const dir = join(reposDir, ...path.split('/'));
  rmSync(dir, { recursive: true });
  if (kind === 'hg') runOk('hg', ['clone', '-q', '-U', source, dir], HG_ENV);
  else runOk('git', ['clone', '-q', '--bare', source, dir]);
}


async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** Ferry's own time for an answer (its `Server-Timing: app;dur=MS` header), NaN from a server that sends none. */
function serverTime(r: Response): number {
  return Number(/app;dur=([\d.]+)/.exec(r.headers.get('server-timing') ?? '')?.[1] ?? NaN);
}

async function time(url: string): Promise<{ first: number; median: number; p90: number; bytes: number; server: number }> {
  let bytes = 0;
  let first = 0;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = await fetch(url);
    if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
    bytes = (await r.arrayBuffer()).byteLength;
    if (i === 0) first = performance.now() - t;
  }
  const samples: number[] = [];
  const server: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = await fetch(url);
    await r.arrayBuffer();
    samples.push(performance.now() - t);
    server.push(serverTime(r));
  }
  samples.sort((a, b) => a - b);
  server.sort((a, b) => a - b);
  return { first, median: samples[Math.floor(samples.length / 2)] as number, p90: samples[Math.floor(samples.length * 0.9)] as number, bytes, server: server[Math.floor(server.length / 2)] as number };
}

interface PairTiming {
  /** The first request for each side's page, ms: [ferry, reference]. */
  readonly cold: readonly [number, number];
  readonly warm: readonly [{ median: number; p90: number }, { median: number; p90: number }];
}

/** One GET, ms to the last byte; the page must answer 200. */
async function once(url: string): Promise<number> {
  const t = performance.now();
  const r = await fetch(url);
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
  return performance.now() - t;
}

/**
 * Cold (the first request for the page on each side, the first side alternating by URL) and warm
 * (3 more each, then RUNS requests interleaved ferry, reference, ferry, …).
 */
async function timePair(ours: string, theirs: string): Promise<PairTiming> {
  const oursFirst = (ours.length + theirs.length) % 2 === 0;
  const coldOurs = oursFirst ? await once(ours) : 0;
  const coldTheirs = await once(theirs);
  const cold: [number, number] = [oursFirst ? coldOurs : await once(ours), coldTheirs];
  for (let i = 0; i < 3; i++) {
    await once(ours);
    await once(theirs);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      a.push(await once(ours));
      b.push(await once(theirs));
    } else {
      b.push(await once(theirs));
      a.push(await once(ours));
    }
  }
  const stats = (xs: number[]) => {
    xs.sort((x, y) => x - y);
    return { median: xs[Math.floor(xs.length / 2)] as number, p90: xs[Math.floor(xs.length * 0.9)] as number };
  };
  return { cold, warm: [stats(a), stats(b)] };
}

async function main(): Promise<boolean> {
  if (!existsSync(join(CORPUS, 'big-hg'))) {
    console.log(`generating the corpus in ${CORPUS} …`);
    runOk('bash', [join(ROOT, '..', 'shared', 'corpus', 'corpus.sh'), CORPUS]);
  }
  const bigHg = join(CORPUS, 'big-hg');
  const bigGit = join(CORPUS, 'big-git.git');
  const { data, ferry, token } = benchData('ferry-bench-web-');
  placeRepo(ferry, join(data, 'repos'), 'bench/big', 'hg', bigHg);
  const withGit = existsSync(bigGit);
  if (withGit) placeRepo(ferry, join(data, 'repos'), 'bench/big-git', 'git', bigGit);

  const ferryPort = await freePort();
  const hgPort = await freePort();
  const server = startFerry(data, ferryPort);
  // hgweb serves its own copy: the push below must not change the corpus.
  const refHg = join(data, 'ref-big-hg');
  runOk('hg', ['clone', '-q', '-U', bigHg, refHg], HG_ENV);
  const hgweb = spawn('hg', ['serve', '-R', refHg, '-a', '127.0.0.1', '-p', String(hgPort), '--config', 'web.maxchanges=50'], { env: HG_ENV, stdio: 'ignore' });
  children.push(hgweb);
  const ferryBase = server.base;
  const hgBase = `http://127.0.0.1:${hgPort}`;
  await Promise.all([server.ready(), waitFor(`${hgBase}/`)]);

  const merge = runOk('hg', ['-R', bigHg, 'log', '-r', 'last(merge())', '-T', '{node}'], HG_ENV).trim();
  const plain = runOk('hg', ['-R', bigHg, 'log', '-r', 'last(not merge(), 2)', '-T', '{node}\n'], HG_ENV).trim().split('\n')[0] as string;
  const count = runOk('hg', ['-R', bigHg, 'log', '-r', 'tip', '-T', '{rev}'], HG_ENV).trim();
  const hgVersion = /\(version ([^)]+)\)/.exec(runOk('hg', ['version'], HG_ENV))?.[1] ?? '?';
  console.log(`big-hg: ${Number(count) + 1} changesets. sides: Ferry (its page caches, long-lived hg/git readers) vs hgweb from hg serve, Mercurial ${hgVersion} (no caches; recomputes each page)`);
  console.log(`cold = first request for the page since start (or since the push); warm = median (p90) of ${RUNS} requests after 3 more, the sides interleaved; ms`);
  console.log('page                         cold ferry / hgweb   ratio  <100ms   warm ferry       warm hgweb       ratio  <100ms');
  const rows: [string, string, string][] = [
    ['log, 50 changesets', `${ferryBase}/bench/big/-/log`, `${hgBase}/log`],
    ['log page 20', `${ferryBase}/bench/big/-/log?page=20`, `${hgBase}/log/${Math.max(0, Number(count) - 19 * 50)}`],
    ['commit (plain)', `${ferryBase}/bench/big/-/commit/${plain}`, `${hgBase}/rev/${plain}`],
    ['commit (merge)', `${ferryBase}/bench/big/-/commit/${merge}`, `${hgBase}/rev/${merge}`],
    ['file view', `${ferryBase}/bench/big/-/files/default/setup.py`, `${hgBase}/file/tip/setup.py`],
  ];
  let ok = true;
  const report = (name: string, p: PairTiming, counts: boolean) => {
    const coldOk = p.cold[0] < TARGET_MS;
    const warmOk = p.warm[0].median < TARGET_MS;
    if (counts) ok &&= coldOk && warmOk;
    console.log(
      `${name.padEnd(28)} ${`${p.cold[0].toFixed(1)} / ${p.cold[1].toFixed(1)}`.padEnd(20)} ${(p.cold[0] / p.cold[1]).toFixed(2).padStart(5)}  ${coldOk ? 'yes' : 'NO '}     ` +
        `${`${p.warm[0].median.toFixed(1)} (${p.warm[0].p90.toFixed(1)})`.padEnd(16)} ${`${p.warm[1].median.toFixed(1)} (${p.warm[1].p90.toFixed(1)})`.padEnd(16)} ${(p.warm[0].median / p.warm[1].median).toFixed(2).padStart(5)}  ${warmOk ? 'yes' : 'NO'}`,
    );
  };
  for (const [name, ours, theirs] of rows) report(name, await timePair(ours, theirs), name !== 'file view');
  // After a push: one new changeset on both sides (over HTTP to Ferry, as a client would; into
  // hgweb's copy directly, which hgweb notices on its next request), then its pages cold.
  const work = join(data, 'push-work');
  runOk('hg', ['clone', '-q', bigHg, work], HG_ENV);
  writeFileSync(join(work, 'bench-push.txt'), `pushed ${Date.now()}\n`);
  runOk('hg', ['-R', work, 'add', join(work, 'bench-push.txt')], HG_ENV);
  runOk('hg', ['-R', work, 'commit', '-q', '-m', 'bench push', '-u', 'bench <bench@ferry.invalid>'], HG_ENV);
  const pushed = runOk('hg', ['-R', work, 'log', '-r', 'tip', '-T', '{node}'], HG_ENV).trim();
  runOk('hg', ['-R', work, 'push', '-q', '-r', 'tip', `http://bench:${token}@127.0.0.1:${ferryPort}/bench/big`], HG_ENV);
  runOk('hg', ['-R', work, 'push', '-q', '-r', 'tip', refHg], HG_ENV);
  report('after a push: log', await timePair(`${ferryBase}/bench/big/-/log`, `${hgBase}/log`), true);
  report('after a push: new commit', await timePair(`${ferryBase}/bench/big/-/commit/${pushed}`, `${hgBase}/rev/${pushed}`), true);
  if (withGit) {
    const head = runOk('git', ['-C', bigGit, 'rev-parse', 'main']).trim();
    for (const [name, url] of [
      ['git log, 50 commits', `${ferryBase}/bench/big-git/-/log`],
      ['git commit', `${ferryBase}/bench/big-git/-/commit/${head}`],
    ] as const) {
      const a = await time(url);
      console.log(`${name.padEnd(28)} ${`${a.first.toFixed(1)} / (no reference)`.padEnd(20)} ${''.padStart(5)}  ${a.first < TARGET_MS ? 'yes' : 'NO '}     ${`${a.median.toFixed(1)} (${a.p90.toFixed(1)})`.padEnd(16)} ${'(no reference)'.padEnd(16)} ${''.padStart(5)}  ${a.median < TARGET_MS ? 'yes' : 'NO'}`);
    }
  }
  console.log(ok ? `log and commit pages render under ${TARGET_MS} ms` : `SLOWER than the ${TARGET_MS} ms target`);
  const deep = await blameAndCompareRows(ferry, join(data, 'repos'), ferryBase, token, () => server.restart());
  return ok && deep;
}

const BLAME_LINES = 5000;
const BLAME_CHANGESETS = 1000;
const COMPARE_COMMITS = 200;
const DEEP_TARGET_MS = 300;

/** Writes an hg repo whose big.txt (BLAME_LINES lines) is changed by each of BLAME_CHANGESETS changesets, in-process through Mercurial's memctx. */
const HG_HISTORY_SCRIPT = `
import sys
from mercurial import context, hg, ui as uimod
lines, commits, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()
u = uimod.ui.load()
repo = hg.repository(u, path, create=True)
content = [b'line %d of the file' % i for i in range(lines)]
with repo.wlock(), repo.lock():
    for n in range(commits):
        for k in range(5):
            i = (n * 37 + k * 1009) % lines
            content[i] = b'line %d changed by changeset %d' % (i, n)
        data = b'\\n'.join(content) + b'\\n'
        def filectx(repo, mctx, p, data=data):
            return context.memfilectx(repo, mctx, p, data)
        ctx = context.memctx(repo, (repo[b'tip'].node(), None), b'changeset %d' % n, [b'big.txt'], filectx, user=b'bench <bench@test>', date=(1700000000 + n * 60, 0))
        repo.commitctx(ctx)
`;

/** The same history for git, through one `git fast-import` stream. */
function gitHistory(dir: string): void {
  runOk('git', ['init', '-q', '--bare', dir]);
  const content = Array.from({ length: BLAME_LINES }, (_, i) => `line ${i} of the file`);
  const parts: string[] = [];
  for (let n = 0; n < BLAME_CHANGESETS; n++) {
    for (let k = 0; k < 5; k++) {
      const i = (n * 37 + k * 1009) % BLAME_LINES;
      content[i] = `line ${i} changed by changeset ${n}`;
    }
    const data = `${content.join('\n')}\n`;
    const msg = `changeset ${n}\n`;
    parts.push(`commit refs/heads/main\ncommitter bench <bench@test> ${1700000000 + n * 60} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}M 100644 inline big.txt\ndata ${Buffer.byteLength(data)}\n${data}\n`);
  }
  const r = spawnSync('git', ['--git-dir', dir, 'fast-import', '--quiet'], { input: parts.join(''), maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git fast-import failed: ${r.stderr.toString()}`);
}

/**
 * Blame of a BLAME_LINES-line file with BLAME_CHANGESETS changesets of history, and a compare of
 * COMPARE_COMMITS commits, for hg (against hgweb's own annotate and log pages, same repo, same run)
 * and git. Kept apart from main's rows so their timing can change on its own.
 */
async function blameAndCompareRows(ferry: (args: string[]) => string, reposDir: string, ferryBase: string, token: string, restart: () => Promise<void>): Promise<boolean> {
  const work = mkdtempSync(join(tmpdir(), 'ferry-bench-blame-'));
  temps.push(work);
  const hgDir = join(work, 'blame-hg');
  const gitDir = join(work, 'blame-git.git');
  console.log(`generating ${BLAME_CHANGESETS} changesets of a ${BLAME_LINES}-line file (hg and git) …`);
  // The Python that runs hg (it has the mercurial package), not whichever python3 is first on PATH.
  const python = runOk('hg', ['debuginstall', '-T', '{pythonexe}'], HG_ENV).trim() || 'python3';
  runOk(python, ['-c', HG_HISTORY_SCRIPT, String(BLAME_LINES), String(BLAME_CHANGESETS), hgDir], HG_ENV);
  gitHistory(gitDir);
  placeRepo(ferry, reposDir, 'bench/blame', 'hg', hgDir);
  placeRepo(ferry, reposDir, 'bench/blame-git', 'git', gitDir);
  const hgPort = await freePort();
  const hgweb = spawn('hg', ['serve', '-R', hgDir, '-a', '127.0.0.1', '-p', String(hgPort)], { env: HG_ENV, stdio: 'ignore' });
  children.push(hgweb);
  const hgBase = `http://127.0.0.1:${hgPort}`;
  await waitFor(`${hgBase}/`);
  const blameOk = await blameRows(reposDir, ferryBase, hgBase, hgDir, gitDir, token, restart);
  const tip = runOk('hg', ['-R', hgDir, 'log', '-r', 'tip', '-T', '{node}'], HG_ENV).trim();
  const base = runOk('hg', ['-R', hgDir, 'log', '-r', `tip~${COMPARE_COMMITS}`, '-T', '{node}'], HG_ENV).trim();
  const gitBase = runOk('git', ['--git-dir', gitDir, 'rev-parse', `main~${COMPARE_COMMITS}`]).trim();
  const rows: [string, string, string | undefined][] = [
    [`compare, ${COMPARE_COMMITS} commits`, `${ferryBase}/bench/blame/-/compare/${base}...${tip}`, `${hgBase}/log/${tip}?revcount=${COMPARE_COMMITS}`],
    [`git compare, ${COMPARE_COMMITS}`, `${ferryBase}/bench/blame-git/-/compare/${gitBase}...main`, undefined],
  ];
  let ok = blameOk;
  for (const [name, ours, theirs] of rows) {
    const a = await time(ours);
    const b = theirs === undefined ? undefined : await time(theirs);
    // The target is Ferry's server time (its Server-Timing header); wall time where it sends none.
    const under = (Number.isNaN(a.server) ? a.median : a.server) < DEEP_TARGET_MS;
    ok &&= under;
    console.log(
      `${name.padEnd(28)} ${`${a.median.toFixed(1)} (${a.p90.toFixed(1)})`.padEnd(16)} ${(b ? `${b.median.toFixed(1)} (${b.p90.toFixed(1)})` : '(no reference)').padEnd(18)} ${(b ? (a.median / b.median).toFixed(2) : '').padStart(11)}  ${under ? 'yes' : 'NO '} (${DEEP_TARGET_MS} ms)  server ${a.server.toFixed(1)}  first ${a.first.toFixed(1)}${b ? ` / ${b.first.toFixed(1)}` : ''}`,
    );
  }
  return ok;
}

/** One GET: ms to the last byte and Ferry's own time (Server-Timing); the page must answer 200. */
async function onceTimed(url: string): Promise<{ wall: number; server: number }> {
  const t = performance.now();
  const r = await fetch(url);
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status}`);
  return { wall: performance.now() - t, server: serverTime(r) };
}

async function waitForPath(path: string, what: string, ms = 30 * 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new Error(`${what} did not appear (${path})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * Blame rows: hg against hgweb's annotate (interleaved) and git alone; cold is the first request
 * for the blame after the server restarted (the repos' caches on disk warmed by housekeeping after
 * a push, as in service; no process or memory cache of Ferry's left) and the first after a push that changed the file (not waiting for
 * housekeeping); warm is the median of RUNS interleaved requests. The target is Ferry's server time.
 */
async function blameRows(reposDir: string, ferryBase: string, hgBase: string, hgDir: string, gitDir: string, token: string, restart: () => Promise<void>): Promise<boolean> {
  const work = mkdtempSync(join(tmpdir(), 'ferry-bench-blame-work-'));
  temps.push(work);
  const hgWork = join(work, 'hg');
  const gitWork = join(work, 'git');
  runOk('hg', ['clone', '-q', hgDir, hgWork], HG_ENV);
  runOk('git', ['clone', '-q', '-b', 'main', gitDir, gitWork]);
  const authed = ferryBase.replace('http://', `http://bench:${token}@`);
  let pushes = 0;
  const edit = (file: string): void => {
    pushes++;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[(pushes * 101) % BLAME_LINES] = `pushed by the bench, ${pushes}`;
    writeFileSync(file, lines.join('\n'));
  };
  const pushHg = (): string => {
    edit(join(hgWork, 'big.txt'));
    runOk('hg', ['-R', hgWork, 'commit', '-q', '-m', `bench push ${pushes}`, '-u', 'bench <bench@ferry.invalid>'], HG_ENV);
    runOk('hg', ['-R', hgWork, 'push', '-q', `${authed}/bench/blame`], HG_ENV);
    runOk('hg', ['-R', hgWork, 'push', '-q', hgDir], HG_ENV);
    return runOk('hg', ['-R', hgWork, 'log', '-r', 'tip', '-T', '{node}'], HG_ENV).trim();
  };
  const pushGit = (): string => {
    edit(join(gitWork, 'big.txt'));
    runOk('git', ['-C', gitWork, '-c', 'user.name=bench', '-c', 'user.email=bench@ferry.invalid', 'commit', '-q', '-am', `bench push ${pushes}`]);
    runOk('git', ['-C', gitWork, 'push', '-q', `${authed}/bench/blame-git`, 'HEAD:main']);
    return runOk('git', ['-C', gitWork, 'rev-parse', 'HEAD']).trim();
  };
  // The repos were put in place without a push; a first push has housekeeping warm them as it
  // does after every push (hg: fastannotate's linelog of big.txt; git: a commit-graph layer).
  let hgTip = pushHg();
  let gitTip = pushGit();
  console.log('waiting for housekeeping to warm the blame caches after the first push …');
  await waitForPath(join(reposDir, 'bench', 'blame', '.hg', 'fastannotate', 'ferry-master'), "hg's blame cache");
  await waitForPath(join(reposDir, 'bench', 'blame-git', 'objects', 'info', 'commit-graphs'), "git's commit-graph");
  await waitForPath(join(reposDir, 'bench', 'blame-git', 'ferry-blame', 'warmed'), "git's blame store");
  // Housekeeping runs in the background after a push: a restart now would stop it half-way, as
  // it would not in service. Its work on disk is waited for above; a little more for the rest.
  await new Promise((r) => setTimeout(r, 5000));
  await restart();
  console.log(`blame of ${BLAME_LINES} lines, ${BLAME_CHANGESETS} changesets; ferry = server time (wall); target ${DEEP_TARGET_MS} ms server time`);
  console.log('row                            ferry cold        hgweb cold   ferry warm        hgweb warm   ratio  <300ms');
  let ok = true;
  const row = (name: string, cold: { wall: number; server: number }, refCold: number | undefined, warm: { wall: number; server: number }, refWarm: number | undefined): void => {
    const under = cold.server < DEEP_TARGET_MS && warm.server < DEEP_TARGET_MS;
    ok &&= under;
    const ref = (x: number | undefined) => (x === undefined ? '(no ref)' : x.toFixed(1));
    console.log(
      `${name.padEnd(30)} ${`${cold.server.toFixed(1)} (${cold.wall.toFixed(1)})`.padEnd(17)} ${ref(refCold).padEnd(12)} ${`${warm.server.toFixed(1)} (${warm.wall.toFixed(1)})`.padEnd(17)} ${ref(refWarm).padEnd(12)} ${(refWarm === undefined ? '' : (warm.wall / refWarm).toFixed(2)).padStart(5)}  ${under ? 'yes' : 'NO'}`,
    );
  };
  const measure = async (name: string, ours: string, theirs: string | undefined): Promise<void> => {
    const cold = await onceTimed(ours);
    const refCold = theirs === undefined ? undefined : (await onceTimed(theirs)).wall;
    const a: { wall: number; server: number }[] = [];
    const b: number[] = [];
    for (let i = 0; i < RUNS + 3; i++) {
      const first = i % 2 === 0;
      if (theirs !== undefined && !first) b.push((await onceTimed(theirs)).wall);
      a.push(await onceTimed(ours));
      if (theirs !== undefined && first) b.push((await onceTimed(theirs)).wall);
    }
    const kept = a.slice(3);
    row(name, cold, refCold, { wall: median(kept.map((x) => x.wall)), server: median(kept.map((x) => x.server)) }, b.length > 0 ? median(b.slice(3)) : undefined);
  };
  await measure('hg blame (first after start)', `${ferryBase}/bench/blame/-/blame/${hgTip}/big.txt`, `${hgBase}/annotate/${hgTip}/big.txt`);
  hgTip = pushHg();
  await measure('hg blame (first after a push)', `${ferryBase}/bench/blame/-/blame/${hgTip}/big.txt`, `${hgBase}/annotate/${hgTip}/big.txt`);
  await restart();
  await measure('git blame (first after start)', `${ferryBase}/bench/blame-git/-/blame/${gitTip}/big.txt`, undefined);
  gitTip = pushGit();
  await measure('git blame (first after a push)', `${ferryBase}/bench/blame-git/-/blame/${gitTip}/big.txt`, undefined);
  return ok;
}

/** A `ferry serve` the bench started (BENCH_SERVER_NODE_ARGS: node options for it). */
interface BenchServer {
  /** `http://127.0.0.1:PORT`. */
  readonly base: string;
  /** Resolves once its /readyz answers (as a load balancer would wait); throws if it has not in about 20 s. */
  ready(): Promise<void>;
  /** Stops the process (SIGTERM), waits for it to exit, starts a new one on the same port, waits until it is ready. */
  restart(): Promise<void>;
}

/** Ferry's server on DATA at PORT, restartable on the same port; not waited for (see `ready`). */
function startFerry(data: string, port: number): BenchServer {
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const start = (): ChildProcess => {
    const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'bin', 'ferry.js'), '--data', data, 'serve'], {
      env: { ...process.env, FERRY_HTTP_PORT: String(port), FERRY_SSH_PORT: '0', FERRY_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    children.push(child);
    return child;
  };
  let current = start();
  const base = `http://127.0.0.1:${port}`;
  const ready = (): Promise<void> => waitFor(`${base}/readyz`);
  return {
    base,
    ready,
    restart: async () => {
      const old = current;
      const exited = new Promise((r) => old.once('exit', r));
      old.kill('SIGTERM');
      await exited;
      current = start();
      await ready();
    },
  };
}

/** `--only blame`: the blame and compare rows alone, on a fresh data dir. */
async function blameMain(): Promise<boolean> {
  const { data, ferry, token } = benchData('ferry-bench-web-');
  const port = await freePort();
  const server = startFerry(data, port);
  await server.ready();
  return blameAndCompareRows(ferry, join(data, 'repos'), server.base, token, () => server.restart());
}

const EXPRESS_TARGET_MS = 50;
/** `BENCH_EXPRESS_PAGES=compare,commit`: only the pages whose names start with one of these (all by default). */
const ONLY_PAGES = (process.env.BENCH_EXPRESS_PAGES ?? '').split(',').filter(Boolean);

/** Adds `count` tags, spread over the default branch / main, in one changeset (hg) and one ref transaction (git). */
const HG_TAGS_SCRIPT = `
import sys
from mercurial import context, hg, ui as uimod
path, count = sys.argv[1].encode(), int(sys.argv[2])
u = uimod.ui.load()
repo = hg.repository(u, path)
revs = list(repo.revs(b'branch(default) - merge()'))
step = max(1, len(revs) // (count + 1))
head = repo[repo.revs(b'max(branch(default))').first()]
old = head[b'.hgtags'].data() if b'.hgtags' in head else b''
lines = b''.join(b'%s v9.%d.0\\n' % (repo[r].hex(), i) for i, r in enumerate(revs[step::step][:count]))
def filectx(repo, mctx, p):
    return context.memfilectx(repo, mctx, p, old + lines)
with repo.wlock(), repo.lock():
    repo.commitctx(context.memctx(repo, (head.node(), None), b'Added %d tags' % count, [b'.hgtags'], filectx, user=b'Ferry Bench <bench@ferry.invalid>', date=(1900000000, 0), extra={b'branch': b'default'}))
`;

/** Makes (once, cached under `dir`) an express-sized hg repo and its git twin with the corpus generator. */
function expressCorpus(dir: string, commits: number, tags: number): { hg: string; git: string } {
  const name = `express-${commits}-${tags}`;
  const hg = join(dir, name);
  const git = join(dir, `${name}.git`);
  if (existsSync(join(hg, '.hg', 'ferry-bench-done')) && existsSync(git)) return { hg, git };
  console.log(`generating an express-sized corpus (${commits} commits, ${tags} tags) in ${dir} …`);
  rmSync(hg, { recursive: true, force: true });
  rmSync(git, { recursive: true, force: true });
  const corpus = join(ROOT, '..', 'shared', 'corpus');
  const python = runOk('hg', ['debuginstall', '-T', '{pythonexe}'], HG_ENV).trim() || 'python3';
  const preset = `dict(seed=33, commits=${commits}, initial=${Math.min(400, Math.max(20, Math.floor(commits / 25)))}, p_add=0.12, smin=512, smax=48 * 1024, fork=${Math.floor(commits / 5)}, blobs=[], refactor=0.005)`;
  runOk(python, ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(corpus)}); import gen_corpus as g; g.PRESETS[${JSON.stringify(name)}] = ${preset}; g.gen_hg(${JSON.stringify(name)}, ${JSON.stringify(dir)}, ${JSON.stringify(git)})`], HG_ENV);
  runOk(python, ['-c', HG_TAGS_SCRIPT, hg, String(tags)], HG_ENV);
  const mains = runOk('git', ['--git-dir', git, 'rev-list', '--first-parent', '--reverse', 'main']).trim().split('\n');
  const step = Math.max(1, Math.floor(mains.length / (tags + 1)));
  const refs = mains.filter((_, i) => i > 0 && i % step === 0).slice(0, tags).map((id, i) => `create refs/tags/v9.${i}.0 ${id}\n`).join('');
  const r = spawnSync('git', ['--git-dir', git, 'update-ref', '--stdin'], { input: refs });
  if (r.status !== 0) throw new Error(`git update-ref failed: ${r.stderr.toString()}`);
  writeFileSync(join(hg, '.hg', 'ferry-bench-done'), '');
  return { hg, git };
}

/**
 * `--express`: every page kind of an express-sized repo (hg and git), cold (the first request for
 * each page after the server started, the repos warmed by housekeeping after a push as in
 * service) and warm (median of RUNS), Ferry's server time against the 50 ms warm target.
 */
async function expressMain(): Promise<boolean> {
  const commits = Number(process.env.BENCH_EXPRESS_COMMITS ?? 11000);
  const tagCount = Number(process.env.BENCH_EXPRESS_TAGS ?? 300);
  const corpus = expressCorpus(process.env.FERRY_EXPRESS_CORPUS ?? '/tmp/ferry-corpus-express', commits, tagCount);
  const { data, ferry, token } = benchData('ferry-bench-express-');
  placeRepo(ferry, join(data, 'repos'), 'bench/express', 'hg', corpus.hg);
  placeRepo(ferry, join(data, 'repos'), 'bench/express-git', 'git', corpus.git);
  const server = startFerry(data, await freePort());
  const base = server.base;
  await server.ready();
  // One push each, so housekeeping does what it does in service (hg caches and the blame cache
  // of the pushed file; git's commit-graph with changed-path filters).
  const work = mkdtempSync(join(tmpdir(), 'ferry-bench-express-work-'));
  temps.push(work);
  const file = runOk('hg', ['-R', corpus.hg, 'log', '-r', 'last(branch(default), 2000)', '-T', '{files % "{file}\\n"}'], HG_ENV)
    .split('\n')
    .filter((f) => f !== '' && f !== '.hgtags' && !f.startsWith('assets/'))
    .reduce((counts, f) => counts.set(f, (counts.get(f) ?? 0) + 1), new Map<string, number>());
  const inTip = new Set(runOk('hg', ['-R', corpus.hg, 'files', '-r', 'max(branch(default))', '-T', '{path}\n'], HG_ENV).split('\n'));
  const busiest = [...file].filter(([f]) => inTip.has(f)).sort((a, b) => b[1] - a[1])[0]?.[0] ?? '.hgtags';
  const authed = base.replace('http://', `http://bench:${token}@`);
  const defaultHead = runOk('hg', ['-R', corpus.hg, 'log', '-r', 'max(branch(default))', '-T', '{node}'], HG_ENV).trim();
  runOk('hg', ['clone', '-q', '-r', defaultHead, corpus.hg, join(work, 'hg')], HG_ENV);
  writeFileSync(join(work, 'hg', busiest), `${readFileSync(join(work, 'hg', busiest), 'utf8')}# bench push\n`);
  runOk('hg', ['-R', join(work, 'hg'), 'commit', '-q', '-m', 'bench push', '-u', 'bench <bench@ferry.invalid>'], HG_ENV);
  runOk('hg', ['-R', join(work, 'hg'), 'push', '-q', `${authed}/bench/express`], HG_ENV);
  runOk('git', ['clone', '-q', '-b', 'main', corpus.git, join(work, 'git')]);
  writeFileSync(join(work, 'git', busiest), `${readFileSync(join(work, 'git', busiest), 'utf8')}# bench push\n`);
  runOk('git', ['-C', join(work, 'git'), '-c', 'user.name=bench', '-c', 'user.email=bench@ferry.invalid', 'commit', '-q', '-am', 'bench push']);
  runOk('git', ['-C', join(work, 'git'), 'push', '-q', `${authed}/bench/express-git`, 'HEAD:main']);
  console.log('waiting for housekeeping after the pushes …');
  await waitForPath(join(data, 'repos', 'bench', 'express', '.hg', 'fastannotate', 'ferry-master'), "hg's blame cache");
  await waitForPath(join(data, 'repos', 'bench', 'express-git', 'objects', 'info', 'commit-graphs'), "git's commit-graph");
  // Cold means the first request after a start: restart, so no page is in Ferry's memory.
  await server.restart();
  const hgIds = runOk('hg', ['-R', join(work, 'hg'), 'log', '-r', 'tip', '-T', '{node}'], HG_ENV).trim();
  const hgMerge = runOk('hg', ['-R', corpus.hg, 'log', '-r', 'last(merge())', '-T', '{node}'], HG_ENV).trim();
  const gitHead = runOk('git', ['-C', join(work, 'git'), 'rev-parse', 'HEAD']).trim();
  const gitMerge = runOk('git', ['--git-dir', corpus.git, 'rev-list', '-1', '--merges', 'main']).trim();
  const hgTags = runOk('hg', ['-R', corpus.hg, 'tags', '-q'], HG_ENV).split('\n').filter((t) => t.startsWith('v9.'));
  const gitTags = runOk('git', ['--git-dir', corpus.git, 'tag', '-l', 'v9.*', '--sort=-creatordate']).split('\n').filter(Boolean);
  const pages = (repo: string, ref: string, head: string, merge: string, tags: string[]): [string, string][] => [
    ['home', `/${repo}`],
    ['log', `/${repo}/-/log`],
    ['commit', `/${repo}/-/commit/${head}`],
    ...(merge === '' ? [] : [['commit (merge)', `/${repo}/-/commit/${merge}`] as [string, string]]),
    ['tree', `/${repo}/-/files/${ref}/src`],
    ['file', `/${repo}/-/files/${ref}/${busiest}`],
    ['blame', `/${repo}/-/blame/${ref}/${busiest}`],
    ['history', `/${repo}/-/history/${ref}/${busiest}`],
    ['branches', `/${repo}/-/branches`],
    ['tags', `/${repo}/-/tags`],
    ['compare (two tags)', `/${repo}/-/compare/${tags[Math.min(5, tags.length - 1)] ?? ref}...${tags[0] ?? ref}`],
  ];
  console.log(`express-sized: ${commits} commits, ${tagCount} tags; file pages on ${busiest}; Ferry's server time (wall), ms; target ${EXPRESS_TARGET_MS} ms warm`);
  console.log('page                        cold               warm (median)      <50ms warm');
  let ok = true;
  for (const [kind, repo, ref, head, merge, tags] of [
    ['hg', 'bench/express', 'default', hgIds, hgMerge, hgTags],
    ['git', 'bench/express-git', 'main', gitHead, gitMerge, gitTags],
  ] as const) {
    for (const [name, path] of pages(repo, ref, head, merge, [...tags]).filter(([name]) => ONLY_PAGES.length === 0 || ONLY_PAGES.some((p) => name.startsWith(p)))) {
      const cold = await onceTimed(`${base}${path}`);
      const warm: { wall: number; server: number }[] = [];
      for (let i = 0; i < RUNS + 3; i++) warm.push(await onceTimed(`${base}${path}`));
      const kept = warm.slice(3);
      const w = { wall: median(kept.map((x) => x.wall)), server: median(kept.map((x) => x.server)) };
      const under = w.server < EXPRESS_TARGET_MS;
      ok &&= under;
      console.log(`${`${kind} ${name}`.padEnd(27)} ${`${cold.server.toFixed(1)} (${cold.wall.toFixed(1)})`.padEnd(18)} ${`${w.server.toFixed(1)} (${w.wall.toFixed(1)})`.padEnd(18)} ${under ? 'yes' : 'NO'}`);
    }
  }
  console.log(ok ? `every page renders under ${EXPRESS_TARGET_MS} ms warm` : `SLOWER than the ${EXPRESS_TARGET_MS} ms warm target`);
  return ok;
}


const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
if (only !== undefined && only !== 'blame') {
  console.error(`--only ${only}: the only part that runs alone is "blame" (the blame and compare rows)`);
  process.exit(2);
}
(process.argv.includes('--express') ? expressMain() : only === 'blame' ? blameMain() : main()).then(
  (ok) => process.exit(ok ? 0 : 1),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
