/**
 * Web page speed on a 3000-changeset repository: Ferry's log and commit pages against the same
 * pages from Mercurial's own web server (`hg serve`: hgweb `/log` and `/rev/NODE`), same repo,
 * same machine, same run. Prints absolute milliseconds and ratios, cold and warm apart:
 *   cold — the first request for each page after both servers started, and the first request
 *          for the log and the new commit after a push (Ferry's caches hold nothing for them);
 *   warm — the median (p90) of the next requests, the two sides interleaved request by request.
 * The 100 ms target applies to both.
 *
 *   npm run build && node dist/bench/web.js        (FERRY_CORPUS=/tmp/ferry-corpus by default)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  const hgEnv = { ...process.env, HGRCPATH: '', HGPLAIN: '1' };
  const data = mkdtempSync(join(tmpdir(), 'ferry-bench-web-'));
  temps.push(data);
  const ferry = (args: string[]): string => runOk(process.execPath, [join(ROOT, 'bin', 'ferry.js'), '--data', data, ...args]);
  ferry(['user', 'add', 'bench', '--admin']);
  const token = ferry(['token', 'add', 'bench']).trim();
  ferry(['repo', 'create', 'bench/big', '--public']);
  rmSync(join(data, 'repos', 'bench', 'big'), { recursive: true });
  runOk('hg', ['clone', '-q', '-U', bigHg, join(data, 'repos', 'bench', 'big')], hgEnv);
  const withGit = existsSync(bigGit);
  if (withGit) {
    ferry(['repo', 'create', 'bench/big-git', '--git', '--public']);
    rmSync(join(data, 'repos', 'bench', 'big-git'), { recursive: true });
    runOk('git', ['clone', '-q', '--bare', bigGit, join(data, 'repos', 'bench', 'big-git')]);
  }

  const ferryPort = await freePort();
  const hgPort = await freePort();
  const server = spawn(process.execPath, [join(ROOT, 'bin', 'ferry.js'), '--data', data, 'serve'], {
    env: { ...process.env, FERRY_HTTP_PORT: String(ferryPort), FERRY_SSH_PORT: '0', FERRY_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  children.push(server);
  // hgweb serves its own copy: the push below must not change the corpus.
  const refHg = join(data, 'ref-big-hg');
  runOk('hg', ['clone', '-q', '-U', bigHg, refHg], hgEnv);
  const hgweb = spawn('hg', ['serve', '-R', refHg, '-a', '127.0.0.1', '-p', String(hgPort), '--config', 'web.maxchanges=50'], { env: hgEnv, stdio: 'ignore' });
  children.push(hgweb);
  const ferryBase = `http://127.0.0.1:${ferryPort}`;
  const hgBase = `http://127.0.0.1:${hgPort}`;
  await Promise.all([waitFor(`${ferryBase}/healthz`), waitFor(`${hgBase}/`)]);

  const merge = runOk('hg', ['-R', bigHg, 'log', '-r', 'last(merge())', '-T', '{node}'], hgEnv).trim();
  const plain = runOk('hg', ['-R', bigHg, 'log', '-r', 'last(not merge(), 2)', '-T', '{node}\n'], hgEnv).trim().split('\n')[0] as string;
  const count = runOk('hg', ['-R', bigHg, 'log', '-r', 'tip', '-T', '{rev}'], hgEnv).trim();
  const hgVersion = /\(version ([^)]+)\)/.exec(runOk('hg', ['version'], hgEnv))?.[1] ?? '?';
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
  runOk('hg', ['clone', '-q', bigHg, work], hgEnv);
  writeFileSync(join(work, 'bench-push.txt'), `pushed ${Date.now()}\n`);
  runOk('hg', ['-R', work, 'add', join(work, 'bench-push.txt')], hgEnv);
  runOk('hg', ['-R', work, 'commit', '-q', '-m', 'bench push', '-u', 'bench <bench@ferry.invalid>'], hgEnv);
  const pushed = runOk('hg', ['-R', work, 'log', '-r', 'tip', '-T', '{node}'], hgEnv).trim();
  runOk('hg', ['-R', work, 'push', '-q', '-r', 'tip', `http://bench:${token}@127.0.0.1:${ferryPort}/bench/big`], hgEnv);
  runOk('hg', ['-R', work, 'push', '-q', '-r', 'tip', refHg], hgEnv);
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
  const deep = await blameAndCompareRows(ferry, join(data, 'repos'), ferryBase, hgEnv);
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
async function blameAndCompareRows(ferry: (args: string[]) => string, reposDir: string, ferryBase: string, hgEnv: NodeJS.ProcessEnv): Promise<boolean> {
  const work = mkdtempSync(join(tmpdir(), 'ferry-bench-blame-'));
  temps.push(work);
  const hgDir = join(work, 'blame-hg');
  const gitDir = join(work, 'blame-git.git');
  console.log(`generating ${BLAME_CHANGESETS} changesets of a ${BLAME_LINES}-line file (hg and git) …`);
  // The Python that runs hg (it has the mercurial package), not whichever python3 is first on PATH.
  const python = runOk('hg', ['debuginstall', '-T', '{pythonexe}'], hgEnv).trim() || 'python3';
  runOk(python, ['-c', HG_HISTORY_SCRIPT, String(BLAME_LINES), String(BLAME_CHANGESETS), hgDir], hgEnv);
  gitHistory(gitDir);
  ferry(['repo', 'create', 'bench/blame', '--public']);
  rmSync(join(reposDir, 'bench', 'blame'), { recursive: true });
  runOk('hg', ['clone', '-q', '-U', hgDir, join(reposDir, 'bench', 'blame')], hgEnv);
  ferry(['repo', 'create', 'bench/blame-git', '--git', '--public']);
  rmSync(join(reposDir, 'bench', 'blame-git'), { recursive: true });
  runOk('git', ['clone', '-q', '--bare', gitDir, join(reposDir, 'bench', 'blame-git')]);
  const hgPort = await freePort();
  const hgweb = spawn('hg', ['serve', '-R', hgDir, '-a', '127.0.0.1', '-p', String(hgPort)], { env: hgEnv, stdio: 'ignore' });
  children.push(hgweb);
  const hgBase = `http://127.0.0.1:${hgPort}`;
  await waitFor(`${hgBase}/`);
  const tip = runOk('hg', ['-R', hgDir, 'log', '-r', 'tip', '-T', '{node}'], hgEnv).trim();
  const base = runOk('hg', ['-R', hgDir, 'log', '-r', `tip~${COMPARE_COMMITS}`, '-T', '{node}'], hgEnv).trim();
  const gitBase = runOk('git', ['--git-dir', gitDir, 'rev-parse', `main~${COMPARE_COMMITS}`]).trim();
  const rows: [string, string, string | undefined][] = [
    [`blame, ${BLAME_LINES} lines`, `${ferryBase}/bench/blame/-/blame/${tip}/big.txt`, `${hgBase}/annotate/${tip}/big.txt`],
    [`compare, ${COMPARE_COMMITS} commits`, `${ferryBase}/bench/blame/-/compare/${base}...${tip}`, `${hgBase}/log/${tip}?revcount=${COMPARE_COMMITS}`],
    [`git blame, ${BLAME_LINES} lines`, `${ferryBase}/bench/blame-git/-/blame/main/big.txt`, undefined],
    [`git compare, ${COMPARE_COMMITS}`, `${ferryBase}/bench/blame-git/-/compare/${gitBase}...main`, undefined],
  ];
  let ok = true;
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

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
