/**
 * bench/http.ts's housekeeping case: git clone of big-git over Ferry's HTTP as a repo is after
 * many pushes (one pack per push, no bitmap, no commit-graph) and after Ferry's housekeeping
 * repacked it (src/vcs/housekeeping.ts), each against git over OpenSSH on the corpus repo.
 * Runs its own `ferry serve` on its own data dir so the main benchmark's server is untouched.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

/** Pushes that build the "before" repo: one pack each, as a busy repo has. */
const CHUNKS = 12;

export interface HousekeepingBenchOptions {
  readonly ferryBin: string;
  readonly work: string;
  readonly runs: number;
  readonly clientEnv: NodeJS.ProcessEnv;
  /** A local mirror of big-git to push from. */
  readonly gitSource: string;
  /** Wall time (s) of one reference clone (git over OpenSSH of the corpus repo) into `dest`. */
  readonly reference: (dest: string) => Promise<number>;
  readonly timed: (cmd: string, args: readonly string[], env: NodeJS.ProcessEnv) => Promise<number>;
  readonly median: (xs: number[]) => number;
  readonly sh: (cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv) => string;
}

export interface HousekeepingRow {
  readonly what: string;
  readonly ferry: number;
  readonly ref: number;
  readonly refName: string;
}

/** Measures the two rows; prints each run as bench/http.ts does. */
export async function gitCloneBeforeAfterHousekeeping(o: HousekeepingBenchOptions): Promise<HousekeepingRow[]> {
  const data = join(o.work, 'hk-ferry-data');
  const ferry = (args: string[]) => o.sh(process.execPath, [o.ferryBin, '--data', data, ...args]);
  ferry(['user', 'add', 'bench', '--admin']);
  const token = ferry(['token', 'add', 'bench']).trim();
  ferry(['repo', 'create', 'bench/hk-git', '--git']);
  const env = { ...process.env, FERRY_HTTP_PORT: String(await freePort()), FERRY_SSH_PORT: String(await freePort()), FERRY_LOG_LEVEL: 'info', FERRY_GIT_REPACK_AFTER_PUSHES: String(CHUNKS + 2) };
  const server = spawn(process.execPath, [o.ferryBin, '--data', data, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.on('data', (b: Buffer) => (output += b.toString()));
  server.stderr.on('data', (b: Buffer) => (output += b.toString()));
  try {
    for (let i = 0; !output.includes('ferry: ready'); i++) {
      if (i > 300 || server.exitCode !== null) throw new Error(`ferry (housekeeping case) did not start: ${output}`);
      await sleep(100);
    }
    const httpPort = Number(/http listening on \S*:(\d+)/.exec(output)?.[1]);
    const url = `http://bench:${token}@127.0.0.1:${httpPort}/bench/hk-git`;

    // The history in CHUNKS pushes along main's first parents, then the rest of the refs.
    const firstParents = o.sh('git', ['-C', o.gitSource, 'rev-list', '--first-parent', '--reverse', 'HEAD'], o.clientEnv).trim().split('\n');
    for (let i = 1; i <= CHUNKS; i++) {
      const commit = firstParents[Math.floor((firstParents.length * i) / CHUNKS) - 1] as string;
      o.sh('git', ['-C', o.gitSource, 'push', '-q', url, `${commit}:refs/heads/main`], o.clientEnv);
    }
    o.sh('git', ['-C', o.gitSource, 'push', '-q', '--all', url], o.clientEnv);
    const repoDir = join(data, 'repos', 'bench', 'hk-git');
    const count = (ext: string) => readdirSync(join(repoDir, 'objects', 'pack')).filter((n) => n.endsWith(ext)).length;
    const packs = () => `${count('.pack')} packs, ${count('.bitmap')} bitmaps, ${count('.keep')} kept`;

    const rows: HousekeepingRow[] = [];
    const measure = async (what: string) => {
      const f: number[] = [];
      const r: number[] = [];
      for (let i = 0; i < o.runs; i++) {
        f.push(await o.timed('git', ['clone', '-q', '--bare', url, join(mkdtempSync(join(o.work, 'hk-clone-')), 'c.git')], o.clientEnv));
        r.push(await o.reference(join(mkdtempSync(join(o.work, 'hk-clone-')), 'c.git')));
      }
      rows.push({ what, ferry: o.median(f), ref: o.median(r), refName: 'git over OpenSSH' });
      console.log(`  ${what}: ferry ${f.map((x) => x.toFixed(2)).join(' ')} s | git over OpenSSH ${r.map((x) => x.toFixed(2)).join(' ')} s`);
    };
    await measure(`git clone big-git, ${packs()} (before housekeeping)`);

    // One more push reaches [git] repack_after_pushes: the repack runs in the background.
    o.sh('git', ['-C', o.gitSource, 'push', '-q', url, 'HEAD:refs/heads/housekeeping-bench'], o.clientEnv);
    for (let i = 0; !output.includes('housekeeping: git-repack done'); i++) {
      if (i > 6000 || output.includes('housekeeping: git-repack failed')) throw new Error(`the repack did not finish: ${output.slice(-2000)}`);
      await sleep(100);
    }
    await measure(`git clone big-git, ${packs()} (after)`);
    return rows;
  } finally {
    server.kill('SIGTERM');
  }
}
