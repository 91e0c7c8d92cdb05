import { existsSync, readlinkSync, readFileSync, statSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RepoKind } from '../domain/repo-kind.js';
import type { Logger } from '../log/logger.js';
import { runProcess } from './process.js';
import { STALE_AFTER_MS, newestChange } from '../storage/stale-temp.js';

export interface RecoveryOptions {
  readonly hgExecutable: string;
  readonly hgEnv: NodeJS.ProcessEnv;
  readonly log: Logger;
  /** When this process started (ms since the epoch): a git lock older than that has no live owner here. */
  readonly startedAt?: number;
  /**
   * Other nodes share the data dir ([database] url is PostgreSQL): a git lock or quarantine may be
   * another node's write in flight, and git's lock files name no host, so only what nothing has
   * touched for STALE_AFTER_MS (src/storage/stale-temp.ts) is taken as left by a dead process.
   * (hg's locks name their host: those of another host are always left to hg.)
   */
  readonly sharedDataDir?: boolean;
}

/** A git lock this young may belong to another process on a shared data dir: left alone. */
const GIT_LOCK_MIN_AGE_MS = 10_000;

/**
 * Puts a repository back in a usable state after a process died in the middle of writing it
 * (Ferry killed with SIGKILL, a power cut, a full disk that made hg's own rollback fail):
 * - hg: a transaction journal (`.hg/store/journal`) with no live holder of the store lock is an
 *   abandoned transaction; every later write fails ("abandoned transaction found - run hg
 *   recover") and reads may see half-written revlogs, so `hg recover` rolls it back (hg help
 *   recover). A journal under a lock whose process lives is a transaction in flight: untouched.
 * - git: `*.lock` files (refs, packed-refs, config, HEAD, commit-graph) and the push quarantine
 *   (`objects/incoming-*`, `objects/pack/tmp_*`) left by a killed git; git removes its own on any
 *   catchable signal, so those older than this process (and a few seconds) have no owner here.
 * `ready` is cheap for hg (one stat) and runs before every use; git's scan runs once per repo
 * and process. Concurrent calls for one repo share one recovery.
 */
export class RepoRecovery {
  private readonly gitScanned = new Set<string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly startedAt: number;

  constructor(private readonly options: RecoveryOptions) {
    this.startedAt = options.startedAt ?? Date.now();
  }

  /** Recovers `dir` if a dead process left it mid-transaction; never throws (logs instead). */
  ready(kind: RepoKind, dir: string): Promise<void> {
    if (kind === 'hg' ? !abandonedHgTransaction(dir) : this.gitScanned.has(dir)) return Promise.resolve();
    const running = this.inFlight.get(dir);
    if (running) return running;
    const work = (kind === 'hg' ? this.recoverHg(dir) : this.recoverGit(dir))
      .catch((err: unknown) => this.options.log.error({ err, dir }, 'could not recover repository'))
      .finally(() => this.inFlight.delete(dir));
    this.inFlight.set(dir, work);
    return work;
  }

  /** `ready` for every repo, one at a time (at start, before anything is served). */
  async recoverAll(repos: readonly { readonly kind: RepoKind; readonly dir: string }[]): Promise<void> {
    for (const repo of repos) await this.ready(repo.kind, repo.dir);
  }

  private async recoverHg(dir: string): Promise<void> {
    const r = await runProcess(this.options.hgExecutable, ['-R', dir, 'recover', '--config', 'ui.timeout=30'], { env: this.options.hgEnv, allowFailure: true });
    const said = `${r.stdout.toString('utf8')}${r.stderr}`.trim().split('\n').pop() ?? '';
    if (r.code === 0) this.options.log.warn({ dir, hg: said }, 'rolled back an abandoned hg transaction');
    else this.options.log.error({ dir, code: r.code, hg: said }, 'hg recover failed');
  }

  private async recoverGit(dir: string): Promise<void> {
    const cutoff = this.options.sharedDataDir ? Date.now() - STALE_AFTER_MS : Math.min(this.startedAt, Date.now() - GIT_LOCK_MIN_AGE_MS);
    const removed: string[] = [];
    const visit = async (rel: string, depth: number): Promise<void> => {
      const entries = await readdir(join(dir, rel), { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const path = rel === '' ? e.name : `${rel}/${e.name}`;
        const stale = e.name.endsWith('.lock') || (rel === 'objects' && e.name.startsWith('incoming-')) || (rel === 'objects/pack' && e.name.startsWith('tmp_'));
        if (stale) {
          const info = await stat(join(dir, path)).catch(() => undefined);
          // A quarantine being filled changes inside, not at its top: its newest entry counts.
          if (info && (info.isDirectory() ? newestChange(join(dir, path)) : info.mtimeMs) < cutoff) {
            await rm(join(dir, path), { recursive: true, force: true });
            removed.push(path);
          }
        } else if (e.isDirectory() && depth < 12 && !(rel === 'objects' && /^[0-9a-f]{2}$/.test(e.name))) {
          await visit(path, depth + 1);
        }
      }
    };
    await visit('', 0);
    this.gitScanned.add(dir);
    if (removed.length > 0) this.options.log.warn({ dir, removed }, 'removed what a killed git left behind');
  }
}

/** True when `.hg/store/journal` exists and no live process holds the store lock. */
export function abandonedHgTransaction(dir: string): boolean {
  if (!existsSync(join(dir, '.hg', 'store', 'journal')) && !existsSync(join(dir, '.hg', 'journal'))) return false;
  return !lockHolderAlive(join(dir, '.hg', 'store', 'lock'));
}

/**
 * Whether the process named in a Mercurial lock (`HOST[/PIDNS]:PID`, a symlink or a file; hg's
 * lock.py) still runs. A holder on another host or pid namespace is taken as alive: only hg,
 * there, can tell.
 */
function lockHolderAlive(lockPath: string): boolean {
  let holder: string;
  try {
    holder = readlinkSync(lockPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    try {
      holder = readFileSync(lockPath, 'utf8');
    } catch {
      return false;
    }
  }
  const colon = holder.lastIndexOf(':');
  const pid = Number(holder.slice(colon + 1));
  const [host, ns] = holder.slice(0, colon).split('/');
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (host !== hostname() || (ns !== undefined && ns !== ownPidNamespace())) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownPidNamespace(): string | undefined {
  try {
    return statSync('/proc/self/ns/pid').ino.toString(16);
  } catch {
    return undefined;
  }
}
