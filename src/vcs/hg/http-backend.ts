import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FerryError } from '../../domain/errors.js';
import type { Logger } from '../../log/logger.js';
import { HGWEB_SERVER_SCRIPT } from './hgweb-script.js';

export interface HgHttpBackendOptions {
  /** The hg program; its `#!` line names the Python that has Mercurial installed. */
  readonly hgExecutable: string;
  readonly env: NodeJS.ProcessEnv;
  readonly reposDir: string;
  /** `[server] run_dir`: this node's sockets (`hgweb-N.sock`). */
  readonly runDir: string;
  readonly log: Logger;
  /** Most hgweb processes to run at once (0: one per core, at most 4). */
  readonly workers?: number;
}

/** A request's hold on one hgweb process; `release` when the response is over. */
export interface HgwebLease {
  readonly socket: string;
  release(): void;
}

interface Worker {
  readonly child: ChildProcess;
  readonly socket: string;
  readonly ready: Promise<void>;
  inFlight: number;
}

/** A UNIX socket path must fit in sockaddr_un (108 bytes on Linux). */
const MAX_SOCKET_PATH = 100;
const START_TIMEOUT_MS = 30_000;

/**
 * Long-lived, threaded Mercurial web servers (hgweb) on UNIX sockets only Ferry's user can reach.
 * The first starts on first use; another starts only when every running one is busy, up to
 * `workers` (one Python process is bound by its interpreter lock). A request goes to an idle
 * process, else the least busy. A process that died is replaced on the next request.
 */
export class HgHttpBackend {
  private readonly slots: (Worker | undefined)[];
  private stopped = false;
  private runDir = '';

  constructor(private readonly options: HgHttpBackendOptions) {
    const workers = options.workers || Math.min(4, availableParallelism());
    this.slots = new Array<Worker | undefined>(Math.max(1, workers)).fill(undefined);
  }

  async acquire(): Promise<HgwebLease> {
    if (this.stopped) throw new FerryError('FERRY_SHUTTING_DOWN', 'the server is stopping');
    const live = this.slots.filter((w): w is Worker => w !== undefined && alive(w.child));
    let worker = live.find((w) => w.inFlight === 0);
    if (!worker) {
      const free = this.slots.findIndex((w) => w === undefined || !alive(w.child));
      worker = free >= 0 ? this.spawnWorker(free) : live.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    }
    const chosen = worker;
    chosen.inFlight++;
    try {
      await chosen.ready;
    } catch (err) {
      chosen.inFlight--;
      throw err;
    }
    let released = false;
    return {
      socket: chosen.socket,
      release: () => {
        if (!released) chosen.inFlight--;
        released = true;
      },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const running = this.slots.filter((w): w is Worker => w !== undefined && alive(w.child));
    this.slots.fill(undefined);
    await Promise.all(
      running.map((w) => {
        const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()));
        w.child.kill('SIGTERM');
        return exited;
      }),
    );
    if (this.runDir !== '' && this.runDir !== this.options.runDir) rmSync(this.runDir, { recursive: true, force: true });
  }

  /** `[server] run_dir` (default `DATA/run/`), or a private temp dir when that path is too long for a socket. */
  private dir(): string {
    if (this.runDir === '') {
      const preferred = this.options.runDir;
      if (join(preferred, `hgweb-${this.slots.length}.sock`).length <= MAX_SOCKET_PATH) {
        mkdirSync(preferred, { recursive: true, mode: 0o700 });
        this.runDir = preferred;
      } else {
        this.runDir = mkdtempSync(join(tmpdir(), 'ferry-run-'));
      }
    }
    return this.runDir;
  }

  private spawnWorker(slot: number): Worker {
    const dir = this.dir();
    const socket = join(dir, `hgweb-${slot}.sock`);
    const script = join(dir, 'hgweb-server.py');
    writeFileSync(script, HGWEB_SERVER_SCRIPT, { mode: 0o600 });
    const [python, ...pythonArgs] = pythonOf(this.options.hgExecutable);
    const child = spawn(python as string, [...pythonArgs, script, socket, this.options.reposDir], {
      env: this.options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.on('error', () => {});
    const log = this.options.log;
    createInterface({ input: child.stderr }).on('line', (line) => log.warn({ hgweb: line, slot }, 'hgweb'));
    child.on('exit', (code, signal) => {
      if (!this.stopped) log.warn({ code, signal, slot }, 'hgweb server exited; it is restarted when needed');
    });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new FerryError('FERRY_VCS_FAILED', 'the Mercurial HTTP server did not start in time'));
      }, START_TIMEOUT_MS);
      createInterface({ input: child.stdout }).once('line', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new FerryError('FERRY_VCS_FAILED', `could not start the Mercurial HTTP server with ${python}: ${err.message}`, { cause: err }));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new FerryError('FERRY_VCS_FAILED', `the Mercurial HTTP server exited with ${code} while starting; see the log`));
      });
    });
    ready.catch(() => {});
    const worker: Worker = { child, socket, ready, inFlight: 0 };
    this.slots[slot] = worker;
    return worker;
  }
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** `#!/usr/bin/python3` → ['/usr/bin/python3']; `#!/usr/bin/env python3` → ['/usr/bin/env', 'python3']. */
export function pythonOf(hgExecutable: string): string[] {
  let first = '';
  try {
    first = readFileSync(hgExecutable, 'utf8').slice(0, 256).split('\n')[0] ?? '';
  } catch {
    /* not readable: fall back below */
  }
  if (!first.startsWith('#!')) return ['python3'];
  const words = first.slice(2).trim().split(/\s+/).filter(Boolean);
  return words.length > 0 ? words : ['python3'];
}
