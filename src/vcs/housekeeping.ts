import { repoLockKey, type ClusterLocks } from '../cluster/locks.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RepoChanged } from '../events/repo-events.js';
import type { Logger } from '../log/logger.js';
import type { Repo } from '../store/types.js';
import { runProcess } from './process.js';
import { runWithByteArgs } from './byte-args.js';
import { BlameStore, STORE_MAX_BYTES } from './blame-store.js';
import { hgBlameStoreDir } from './hg/browse.js';
import { gitBlameStoreDir } from './git/blame.js';
import { warmGitBlames } from './git/blame-warm.js';
import { GitCatFile } from './git/cat-file.js';

export interface HousekeepingOptions {
  readonly git: { readonly executable: string; readonly env: NodeJS.ProcessEnv };
  readonly hg: { readonly executable: string; readonly env: NodeJS.ProcessEnv };
  readonly directoryOf: (repo: Repo) => string;
  /** Git pushes (or syncs) to one repo between two repacks; 0 turns git housekeeping off. */
  readonly gitChangesPerRepack: number;
  readonly log: Logger;
  /** Per-repo locks shared with the other nodes (src/cluster/locks.ts): one node works on a repo at a time. */
  readonly locks?: ClusterLocks;
  /**
   * The repo as the database has it now (by id), or undefined once removed: read under the repo's
   * lock before a job starts, so a job queued before a move or removal — by any process, `ferry
   * repo mv` in a shell included — never writes its caches back at the old path.
   */
  readonly current?: (repo: Repo) => Promise<Repo | undefined>;
}

type JobKind = 'git-repack' | 'git-commit-graph' | 'hg-caches';

interface Job {
  readonly kind: JobKind;
  readonly repo: Repo;
  /** Times this job found its repo's lock held. */
  readonly tries?: number;
}

/** A job whose repo's lock is held is queued again this much later (ms), at most this many times. */
const LOCKED_RETRY_MS = 1_000;
const LOCKED_RETRIES = 5;

/** What a finished job reports (to the log, and to tests through `onDone`). */
export interface HousekeepingDone {
  readonly kind: JobKind;
  readonly path: string;
  readonly ms: number;
  /** skipped: the repo was moved or removed since the job was queued (a moved repo's job is queued again). */
  readonly outcome: 'done' | 'yielded' | 'failed' | 'skipped';
}

/** Niceness of housekeeping processes: below every request's hg and git (nice(2), 19 is lowest). */
const NICE = 10;

/**
 * Background upkeep that keeps clones fast after pushes, one job at a time for the whole server:
 * - git: after `gitChangesPerRepack` pushes to a repo, `git repack -a -d -b` (one pack with a
 *   reachability bitmap: upload-pack then counts objects from the bitmap instead of walking
 *   every commit and tree), `git commit-graph write --reachable` and `git pack-refs --all` —
 *   the work `git maintenance run` / `git gc` do (git-maintenance(1), git-repack(1),
 *   git-commit-graph(1)).
 * - git, after every other push or sync: `git commit-graph write --reachable --split
 *   --changed-paths`, a new small layer of the commit-graph with changed-path Bloom filters for
 *   the new commits, so `git blame` and path-limited `git log` (file history) skip the commits
 *   that did not touch the path, and `git log --date-order` walks incrementally by generation
 *   numbers instead of reading the whole history first (git-commit-graph(1), "--changed-paths";
 *   git 2.27+). The repack rewrites one merged graph with the filters.
 * - hg: after every push, `hg debugupdatecaches` (branchmap of every filter level, tags and
 *   hgtagsfnodes, rev-branch-cache), so the first clone or pull after a push does not compute
 *   them while the client waits (hg help internals.revlogs; mercurial/cacheutil.py); then
 *   `hg ferry-blame-warm`, which brings fastannotate's blame cache of the files the push changed
 *   on the main branch up to date and stores their blame at its head in Ferry's blame store
 *   (`.hg/ferry-blame`, src/vcs/hg/fast-blame.ts), so the first blame view, after a restart too,
 *   is fast; the store is then pruned to its budget.
 * Never during a push of the same repo: a job does not start while one is in flight
 * (`whilePushing`, or a git quarantine dir `objects/incoming-*` of another process), and a push
 * that begins while its repo's job runs stops that job (SIGTERM: git and hg clean up after
 * themselves) and queues it again for after the push. Jobs run with a lower CPU priority.
 */
export class Housekeeping {
  private readonly changes = new Map<number, number>();
  private readonly pushing = new Map<number, number>();
  private readonly queue: Job[] = [];
  private current: { job: Job; abort: AbortController } | undefined;
  private draining: Promise<void> | undefined;
  private stopped = false;
  private readonly listeners: ((done: HousekeepingDone) => void)[] = [];

  constructor(private readonly options: HousekeepingOptions) {}

  /** Hears of a repo change (the RepoEvents listener): counts git changes, queues the job due. */
  changed(event: RepoChanged): void {
    const { repo } = event;
    if (repo.kind === 'hg') return this.enqueue({ kind: 'hg-caches', repo });
    if (this.options.gitChangesPerRepack <= 0) return;
    const count = (this.changes.get(repo.id) ?? 0) + 1;
    if (count < this.options.gitChangesPerRepack) {
      this.changes.set(repo.id, count);
      return this.enqueue({ kind: 'git-commit-graph', repo });
    }
    this.changes.delete(repo.id);
    this.enqueue({ kind: 'git-repack', repo });
  }

  /** Queues a repack of a git repo (or a cache warm-up of an hg repo) now, whatever the count. */
  request(repo: Repo): void {
    this.enqueue({ kind: repo.kind === 'git' ? 'git-repack' : 'hg-caches', repo });
  }

  /**
   * Runs `push` (a push to `repo`, from its first byte to its last) with the repo's housekeeping
   * held off: a running job for it is stopped and queued again, and none starts until it ends.
   */
  async whilePushing<T>(repo: Repo, push: () => Promise<T>): Promise<T> {
    this.pushing.set(repo.id, (this.pushing.get(repo.id) ?? 0) + 1);
    if (this.current?.job.repo.id === repo.id) this.current.abort.abort();
    try {
      return await push();
    } finally {
      const left = (this.pushing.get(repo.id) ?? 1) - 1;
      if (left > 0) this.pushing.set(repo.id, left);
      else this.pushing.delete(repo.id);
      this.kick();
    }
  }

  /** Calls `listener` after each job (logs, tests). */
  onDone(listener: (done: HousekeepingDone) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves when the queue is empty and no job runs (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Stops the running job and drops the queue (shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    this.current?.abort.abort();
    await this.idle();
  }

  private enqueue(job: Job): void {
    if (this.stopped || this.queue.some((q) => q.repo.id === job.repo.id && q.kind === job.kind)) return;
    this.queue.push(job);
    this.kick();
  }

  private kick(): void {
    if (this.draining || this.stopped) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // Jobs held back by a push that has ended since.
      if (this.queue.some((j) => !this.busy(j.repo))) this.kick();
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const index = this.queue.findIndex((j) => !this.busy(j.repo));
      if (index < 0 || this.stopped) return;
      const [job] = this.queue.splice(index, 1) as [Job];
      const abort = new AbortController();
      this.current = { job, abort };
      const started = Date.now();
      let outcome: HousekeepingDone['outcome'] = 'done';
      try {
        if (!(await this.run(job, abort.signal))) outcome = 'skipped';
      } catch (err) {
        outcome = abort.signal.aborted ? 'yielded' : 'failed';
        if (outcome === 'failed') this.options.log.warn({ err, path: job.repo.path, job: job.kind }, 'housekeeping failed; the repo is served as it is');
      } finally {
        this.current = undefined;
      }
      // A job stopped by a push runs again once the push is over.
      if (outcome === 'yielded' && !this.stopped) this.queue.push(job);
      const done: HousekeepingDone = { kind: job.kind, path: job.repo.path, ms: Date.now() - started, outcome };
      this.options.log.info(done, `housekeeping: ${job.kind} ${outcome}`);
      for (const l of this.listeners) l(done);
    }
  }

  /** A push of this process, or (git) another process's push quarantine, is writing the repo. */
  private busy(repo: Repo): boolean {
    if ((this.pushing.get(repo.id) ?? 0) > 0) return true;
    if (repo.kind !== 'git') return false;
    try {
      return readdirSync(join(this.options.directoryOf(repo), 'objects')).some((n) => n.startsWith('incoming-'));
    } catch {
      return false;
    }
  }

  /**
   * Runs `job` under the repo's lock; when another node or process holds it (doing the same work,
   * or moving the repo), this one skips. False when the job did not run because its repo was
   * moved (then it is queued again at the new path) or removed since it was queued.
   */
  private async run(job: Job, signal: AbortSignal): Promise<boolean> {
    const { locks } = this.options;
    if (!locks) return this.runCurrent(job, signal);
    const r = await locks.tryWithLock(repoLockKey(job.repo.path), () => this.runCurrent(job, signal));
    if (r.ran) return r.value;
    // Held: by a push still finishing (it holds the repo shared), a move, or another node doing
    // this very job. Asked again a little later, a few times.
    const tries = (job.tries ?? 0) + 1;
    if (tries <= LOCKED_RETRIES && !this.stopped) setTimeout(() => this.enqueue({ ...job, tries }), LOCKED_RETRY_MS).unref();
    return false;
  }

  private async runCurrent(job: Job, signal: AbortSignal): Promise<boolean> {
    const repo = this.options.current ? await this.options.current(job.repo) : job.repo;
    if (!repo) return false;
    if (repo.path !== job.repo.path) {
      this.enqueue({ kind: job.kind, repo });
      return false;
    }
    await this.runNow(job, signal);
    return true;
  }

  private async runNow(job: Job, signal: AbortSignal): Promise<void> {
    const dir = this.options.directoryOf(job.repo);
    if (job.kind === 'hg-caches') {
      await this.spawn(this.options.hg, ['-R', dir, 'debugupdatecaches', '--config', 'ui.timeout=30'], signal);
      await this.spawn(this.options.hg, ['-R', dir, 'ferry-blame-warm'], signal);
      new BlameStore(hgBlameStoreDir(dir)).prune(STORE_MAX_BYTES);
      return;
    }
    const git = (args: string[]) => this.spawn(this.options.git, ['-C', dir, ...args], signal);
    if (job.kind === 'git-commit-graph') {
      await git(['commit-graph', 'write', '--reachable', '--split', '--changed-paths', '--no-progress']);
    } else {
      await git(['-c', 'repack.writeBitmaps=true', '-c', 'pack.writeBitmapHashCache=true', 'repack', '-a', '-d', '-b', '-q']);
      await git(['commit-graph', 'write', '--reachable', '--changed-paths', '--no-progress']);
      await git(['pack-refs', '--all']);
    }
    await this.warmGitBlames(dir, signal);
  }

  /** Brings Ferry's stored blames of the files the push changed up to date (src/vcs/git/blame-warm.ts). */
  private async warmGitBlames(dir: string, signal: AbortSignal): Promise<void> {
    const { executable, env } = this.options.git;
    const catFile = new GitCatFile(executable, dir, env);
    try {
      await warmGitBlames(
        {
          store: new BlameStore(gitBlameStoreDir(dir)),
          git: async (args) => {
            if (signal.aborted) throw new Error('stopped for a push');
            return (await runWithByteArgs('nice', ['-n', String(NICE), executable, ...args], { cwd: dir, env: { ...env, GIT_DIR: dir, GIT_LITERAL_PATHSPECS: '1' }, signal })).stdout;
          },
          read: (rev) => catFile.read(rev),
        },
        dir,
      );
    } finally {
      catFile.close();
    }
  }

  private async spawn(program: { executable: string; env: NodeJS.ProcessEnv }, args: string[], signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new Error('stopped for a push');
    // nice(1) execs the program in its own place, so the abort's SIGTERM reaches hg or git itself.
    await runProcess('nice', ['-n', String(NICE), program.executable, ...args], { env: program.env, signal });
  }
}
