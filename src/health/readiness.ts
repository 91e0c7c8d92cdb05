import { randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** One check's outcome: ok, or why not (a short sentence for operators). */
export interface CheckResult {
  readonly ok: boolean;
  readonly reason?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<'database' | 'repos' | 'workers' | 'startup', CheckResult>>;
}

export interface ReadinessDeps {
  /** A cheap query; throws when the database does not answer. */
  readonly pingDatabase: () => Promise<unknown>;
  /** The directory pushes write into (DATA/repos). */
  readonly reposDir: string;
  /** How long one check may take before it counts as failed, in ms. */
  readonly timeoutMs?: number;
}

/**
 * What `/readyz` asks: the database answers a query, the repos dir takes a new file (created and
 * removed — a mode check would pass for root or miss a read-only mount), every CDN worker is up,
 * and what the server starts beside its listeners has started (the chg server hg pages fork
 * from). Liveness (`/healthz`) asks none of this: a process that answers is alive.
 */
export class Readiness {
  private workers: () => { ready: number; expected: number } = () => ({ ready: 0, expected: 0 });
  private startup: CheckResult = { ok: true };

  constructor(private readonly deps: ReadinessDeps) {}

  /** Where worker counts come from, once the CDN workers were started. */
  watchWorkers(source: () => { ready: number; expected: number }): void {
    this.workers = source;
  }

  /** Not ready until `started` settles (`what`: the reason given until then). */
  watchStartup(started: Promise<unknown>, what: string): void {
    const pending: CheckResult = { ok: false, reason: what };
    this.startup = pending;
    const done = () => {
      if (this.startup === pending) this.startup = { ok: true };
    };
    started.then(done, done);
  }

  async check(): Promise<ReadinessReport> {
    const [database, repos] = await Promise.all([
      this.guard(async () => {
        await this.deps.pingDatabase();
      }, 'the database does not answer'),
      this.guard(() => probeWritable(this.deps.reposDir), `the repos dir ${this.deps.reposDir} is not writable`),
    ]);
    const w = this.workers();
    const workers: CheckResult = w.ready >= w.expected ? { ok: true } : { ok: false, reason: `${w.ready} of ${w.expected} CDN workers are up` };
    const startup = this.startup;
    return { ready: database.ok && repos.ok && workers.ok && startup.ok, checks: { database, repos, workers, startup } };
  }

  private async guard(work: () => Promise<void>, what: string): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), this.deps.timeoutMs ?? 2000);
    });
    try {
      await Promise.race([work(), timeout]);
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `${what}: ${(err as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
  }
}

async function probeWritable(dir: string): Promise<void> {
  const probe = join(dir, `.ferry-ready-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fh = await open(probe, 'wx');
  await fh.close();
  await rm(probe, { force: true });
}
