import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { FerryError } from '../../domain/errors.js';
import { ProcessPool } from '../process-pool.js';
import { ChunkGatherer } from '../chunk-gatherer.js';
import { decodeBytes, encodeBytes } from '../../domain/byte-names.js';

export interface GitObject {
  readonly oid: string;
  readonly type: 'blob' | 'tree' | 'commit' | 'tag';
  readonly data: Buffer;
}

interface Pending {
  readonly resolve: (o: GitObject | undefined) => void;
  readonly reject: (e: Error) => void;
}

/**
 * One long-lived `git cat-file --batch` for one bare repository. Each request is one line
 * (`<rev>` or `<rev>:<path>`); the answer is `<oid> <type> <size>\n<data>\n` or `<rev> missing`.
 * Requests are pipelined; answers come back in order.
 */
export class GitCatFile {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer: Buffer = Buffer.alloc(0);
  /** Chunks of a message still arriving, joined once it is complete. */
  private readonly gathered = new ChunkGatherer();
  private readonly pending: Pending[] = [];
  private dead: Error | undefined;
  lastUsed = Date.now();

  constructor(executable: string, repoDir: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(executable, ['cat-file', '--batch'], { cwd: repoDir, env: { ...env, GIT_DIR: repoDir }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on('data', () => {});
    this.child.stdin.on('error', () => {});
    this.child.on('error', (e) => this.fail(new FerryError('FERRY_VCS_FAILED', `could not run ${executable}: ${e.message}`, { cause: e })));
    this.child.on('exit', (code) => this.fail(new FerryError('FERRY_VCS_FAILED', `git cat-file exited (${code ?? 'signal'})`)));
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  /** The object named by `rev` (an oid, a ref, `rev:path`), or undefined when it does not exist. */
  read(rev: string): Promise<GitObject | undefined> {
    this.lastUsed = Date.now();
    if (/[\n\r\0]/.test(rev)) return Promise.resolve(undefined);
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(encodeBytes(`${rev}\n`));
    });
  }

  close(): void {
    this.fail(new FerryError('FERRY_SHUTTING_DOWN', 'git cat-file closed'));
    this.child.stdin.end();
    this.child.kill('SIGTERM');
  }

  private onData(chunk: Buffer): void {
    // A large object arrives in many chunks: gather them and join once it is complete (joining on
    // every chunk copies the object once per chunk).
    const all = this.gathered.add(chunk);
    if (all === undefined) return;
    this.buffer = all;
    this.parse();
    this.gathered.keep(this.buffer);
  }

  private parse(): void {
    for (;;) {
      const nl = this.buffer.indexOf(10);
      if (nl < 0) return;
      const header = this.buffer.subarray(0, nl).toString('utf8');
      const m = /^([0-9a-f]{40,64}) (blob|tree|commit|tag) (\d+)$/.exec(header);
      if (!m) {
        this.buffer = this.buffer.subarray(nl + 1);
        this.pending.shift()?.resolve(undefined);
        continue;
      }
      const size = Number(m[3]);
      if (this.buffer.length < nl + 1 + size + 1) {
        this.gathered.needed = nl + 1 + size + 1;
        return;
      }
      const data = Buffer.from(this.buffer.subarray(nl + 1, nl + 1 + size));
      this.buffer = this.buffer.subarray(nl + 1 + size + 1);
      this.pending.shift()?.resolve({ oid: m[1] as string, type: m[2] as GitObject['type'], data });
    }
  }

  private fail(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}

/** A least-recently-used pool of GitCatFile processes, one per repository directory. */
export class GitCatFilePool extends ProcessPool<GitCatFile> {
  constructor(executable: string, env: NodeJS.ProcessEnv, max = 16, idleMs = 5 * 60_000) {
    super((repoDir) => new GitCatFile(executable, repoDir, env), max, idleMs);
  }
}

/** Entries of a git tree object (binary format: `<mode> <name>\0<20-byte oid>`). */
export function parseTree(data: Buffer): { mode: string; name: string; oid: string }[] {
  const out: { mode: string; name: string; oid: string }[] = [];
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(32, i);
    const nul = data.indexOf(0, sp);
    if (sp < 0 || nul < 0) break;
    const mode = data.subarray(i, sp).toString('ascii');
    const name = decodeBytes(data.subarray(sp + 1, nul));
    const oid = data.subarray(nul + 1, nul + 21).toString('hex');
    out.push({ mode, name, oid });
    i = nul + 21;
  }
  return out;
}
