import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  readonly dataDir: string;
  readonly log: Logger;
}

/** A UNIX socket path must fit in sockaddr_un (108 bytes on Linux). */
const MAX_SOCKET_PATH = 100;
const START_TIMEOUT_MS = 30_000;

/**
 * One long-lived, threaded Mercurial web server (hgweb) per Ferry process, on a UNIX socket only
 * Ferry's user can reach. Started on first use, restarted on the next request if it died.
 */
export class HgHttpBackend {
  private child: ChildProcess | undefined;
  private starting: Promise<string> | undefined;
  private stopped = false;
  private runDir = '';

  constructor(private readonly options: HgHttpBackendOptions) {}

  /** The socket of a running server, starting one if needed. */
  socketPath(): Promise<string> {
    if (this.stopped) return Promise.reject(new FerryError('FERRY_SHUTTING_DOWN', 'the server is stopping'));
    if (this.child && this.child.exitCode === null && this.child.signalCode === null && !this.starting) return Promise.resolve(this.socket());
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    if (this.runDir !== '' && !this.runDir.startsWith(this.options.dataDir)) rmSync(this.runDir, { recursive: true, force: true });
  }

  /** `DATA/run/hgweb.sock`, or a private temp dir when that path is too long for a socket. */
  private socket(): string {
    if (this.runDir === '') {
      const preferred = join(this.options.dataDir, 'run');
      if (join(preferred, 'hgweb.sock').length <= MAX_SOCKET_PATH) {
        mkdirSync(preferred, { recursive: true, mode: 0o700 });
        this.runDir = preferred;
      } else {
        this.runDir = mkdtempSync(join(tmpdir(), 'ferry-run-'));
      }
    }
    return join(this.runDir, 'hgweb.sock');
  }

  private async start(): Promise<string> {
    const socket = this.socket();
    const script = join(this.runDir, 'hgweb-server.py');
    writeFileSync(script, HGWEB_SERVER_SCRIPT, { mode: 0o600 });
    const [python, ...pythonArgs] = pythonOf(this.options.hgExecutable);
    const child = spawn(python as string, [...pythonArgs, script, socket, this.options.reposDir], {
      env: this.options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdin.on('error', () => {});
    const log = this.options.log;
    createInterface({ input: child.stderr }).on('line', (line) => log.warn({ hgweb: line }, 'hgweb'));
    child.on('exit', (code, signal) => {
      if (!this.stopped) log.warn({ code, signal }, 'hgweb server exited; it restarts on the next request');
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new FerryError('FERRY_VCS_FAILED', 'the Mercurial HTTP server did not start in time'));
      }, START_TIMEOUT_MS);
      const lines = createInterface({ input: child.stdout });
      lines.once('line', () => {
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
    return socket;
  }
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
