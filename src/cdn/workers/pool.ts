import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import type { Config } from '../../config/load.js';
import type { Logger } from '../../log/logger.js';
import type { Repo } from '../../store/types.js';
import { PRIMARY_PORT_ENV, WORKER_BUDGET_ENV, type FromWorker, type ToWorker } from './protocol.js';
import { FORWARD_SECRET_ENV } from '../../http/client-address.js';
import type { CdnCounts, WorkerMemory } from '../../metrics/registry.js';
import type { TlsPair } from '../../http/tls.js';

const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));

/** `[cdn] workers`: 0 means one per core; fewer than 2 means the primary serves /cdn itself. */
export function cdnWorkerCount(config: Pick<Config, 'cdn'>): number {
  return config.cdn.workers === 0 ? availableParallelism() : config.cdn.workers;
}

interface Worker {
  readonly child: ChildProcess;
  ready: boolean;
  /** `changed` messages this worker has not acknowledged yet, by id: answered when it exits. */
  readonly waiting: Map<number, () => void>;
  /** The worker's last reported CDN hit/miss totals. */
  counts: CdnCounts;
  /** Its memory as last reported, or undefined before the first report. */
  memory: WorkerMemory | undefined;
}

/**
 * The CDN worker processes of one `ferry serve`. Each holds its own snapshots (the memory budget
 * is split between them); the primary hands them /cdn connections and tells them what changed.
 */
export class CdnWorkerPool {
  private readonly workers: Worker[] = [];
  private next = 0;
  private seq = 0;
  private stopping = false;
  /** CDN hit/miss totals of workers that exited. */
  private retired: CdnCounts = { hits: 0, misses: 0 };
  /** The certificate TLS connections get, when the HTTP port speaks TLS. */
  private tls: TlsPair | undefined;

  constructor(
    private readonly count: number,
    private readonly primaryPort: number,
    private readonly config: Config,
    private readonly log: Logger,
    private readonly onStale: (repoId: number) => void,
    private readonly onAllReady: () => void = () => {},
    private readonly forwardSecret = '',
  ) {}

  start(): void {
    for (let i = 0; i < this.count; i++) this.spawn();
  }

  /** A ready worker, round-robin; undefined while none is (the primary then serves). */
  pick(): ChildProcess | undefined {
    for (let i = 0; i < this.workers.length; i++) {
      const w = this.workers[(this.next++ + i) % this.workers.length] as Worker;
      if (w.ready && w.child.connected) return w.child;
    }
    return undefined;
  }

  hand(worker: ChildProcess, head: Buffer, socket: Socket): void {
    const message: ToWorker = { t: 'conn', head: head.toString('base64') };
    worker.send(message, socket, { keepOpen: false }, (err) => {
      if (err) socket.destroy();
    });
  }

  /**
   * Every worker reloads `repo` and rebuilds what it serves; resolves when all have answered (or
   * exited). Nothing stays behind per call: the worker's one exit listener answers what it left.
   */
  async changed(repo: Repo): Promise<void> {
    await Promise.all(
      this.workers
        .filter((w) => w.ready && w.child.connected)
        .map(
          (w) =>
            new Promise<void>((resolve) => {
              const id = ++this.seq;
              w.waiting.set(id, resolve);
              const message: ToWorker = { t: 'changed', id, repoId: repo.id };
              w.child.send(message, (err) => {
                if (!err) return;
                w.waiting.delete(id);
                resolve();
              });
            }),
        ),
    );
  }

  /** Pending acknowledgements over all workers (0 when idle; for tests of what may grow). */
  get waitingCount(): number {
    return this.workers.reduce((n, w) => n + w.waiting.size, 0);
  }

  /** CDN hits and misses over every worker this pool ran (the living ones as last reported). */
  cdnCounts(): CdnCounts {
    return this.workers.reduce((t, w) => ({ hits: t.hits + w.counts.hits, misses: t.misses + w.counts.misses }), this.retired);
  }

  /** Each live worker's memory as last reported (for /metrics), in the order the workers started. */
  memory(): WorkerMemory[] {
    return this.workers.flatMap((w) => (w.memory ? [w.memory] : []));
  }

  /** Workers up and answering, and how many there should be (for /readyz). */
  readiness(): { ready: number; expected: number } {
    return { ready: this.workers.filter((w) => w.ready && w.child.connected).length, expected: this.count };
  }

  /**
   * Every worker serves `pair` to new TLS connections from now on, and so does every worker
   * started later: the files are read by the primary alone, so all serve the one pair it checked.
   */
  useTls(pair: TlsPair): void {
    this.tls = pair;
    for (const w of this.workers) if (w.child.connected) this.sendTls(w.child);
  }

  private sendTls(child: ChildProcess): void {
    const pair = this.tls;
    if (!pair) return;
    const message: ToWorker = { t: 'tls', cert: pair.cert, key: pair.key, serial: pair.serial, validTo: pair.validTo };
    child.send(message);
  }

  removed(repo: Repo): void {
    const message: ToWorker = { t: 'removed', repoId: repo.id };
    for (const w of this.workers) if (w.child.connected) w.child.send(message);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
            w.child.once('exit', () => resolve());
            if (w.child.connected) w.child.disconnect();
            else w.child.kill('SIGTERM');
          }),
      ),
    );
  }

  private spawn(): void {
    const env = {
      ...process.env,
      FERRY_DATA: this.config.dataDir,
      [PRIMARY_PORT_ENV]: String(this.primaryPort),
      [WORKER_BUDGET_ENV]: String(Math.floor(this.config.cdn.memory / this.count)),
      [FORWARD_SECRET_ENV]: this.forwardSecret,
      GLIBC_TUNABLES: workerMallocTunables(process.env.GLIBC_TUNABLES),
    };
    const child = fork(WORKER_MAIN, [], { execArgv: process.env.FERRY_PROF_ARGV ? process.env.FERRY_PROF_ARGV.split(' ') : undefined, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    const worker: Worker = { child, ready: false, waiting: new Map(), counts: { hits: 0, misses: 0 }, memory: undefined };
    // Before any connection: the channel keeps the order of messages.
    this.sendTls(child);
    this.workers.push(worker);
    child.on('message', (m: FromWorker) => {
      if (m.t === 'ready') {
        worker.ready = true;
        if (this.workers.every((w) => w.ready)) this.onAllReady();
      } else if (m.t === 'ack') {
        worker.waiting.get(m.id)?.();
        worker.waiting.delete(m.id);
      } else if (m.t === 'stale') {
        this.onStale(m.repoId);
      } else if (m.t === 'cdn-counts') {
        worker.counts = { hits: m.hits, misses: m.misses };
        if (m.memory) worker.memory = m.memory;
      }
    });
    child.on('exit', (code, signal) => {
      worker.ready = false;
      this.retired = { hits: this.retired.hits + worker.counts.hits, misses: this.retired.misses + worker.counts.misses };
      for (const resolve of worker.waiting.values()) resolve();
      worker.waiting.clear();
      this.workers.splice(this.workers.indexOf(worker), 1);
      if (this.stopping) return;
      this.log.warn({ code, signal }, 'cdn worker exited; starting another');
      setTimeout(() => this.spawn(), 500).unref();
    });
  }
}

/**
 * glibc's malloc settings for a worker (GLIBC_TUNABLES, glibc manual "Memory Allocation
 * Tunables"), after any the operator set. A file's bytes above 128 KB get their own mmap(2) and go
 * back to the system when freed: by default glibc raises its mmap threshold to the size of each
 * such block freed (up to 32 MB), so after the first big file was dropped the next ones came from
 * the heap, and a worker churning through big files kept some 50 MB of freed heap it could not
 * return (bench/cdn.ts's big-repo case). Setting the threshold turns that adjustment off.
 */
export function workerMallocTunables(existing: string | undefined): string {
  const ours = 'glibc.malloc.mmap_threshold=131072';
  return existing ? `${ours}:${existing}` : ours;
}
