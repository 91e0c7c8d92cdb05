import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { FerryError } from '../../domain/errors.js';
import { ProcessPool } from '../process-pool.js';
import { ChunkGatherer } from '../chunk-gatherer.js';
import { encodeBytes } from '../../domain/byte-names.js';

export interface CommandResult {
  readonly out: Buffer;
  readonly err: string;
  readonly code: number;
}

interface Pending {
  readonly args: readonly string[];
  readonly resolve: (r: CommandResult) => void;
  readonly reject: (e: Error) => void;
}

/**
 * One long-lived `hg serve --cmdserver pipe` for one repository, spoken over Mercurial's
 * command-server pipe protocol: each message from hg is a channel byte, a big-endian uint32
 * length and the data; a command is `runcommand\n` + uint32 length + arguments joined by NUL.
 * Commands run one at a time (the protocol is sequential); callers queue.
 */
export class HgCommandServer {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer: Buffer = Buffer.alloc(0);
  /** Chunks of a message still arriving, joined once it is complete. */
  private readonly gathered = new ChunkGatherer();
  private readonly queue: Pending[] = [];
  private current: { pending: Pending; out: Buffer[]; err: Buffer[] } | undefined;
  private hello = false;
  private dead: Error | undefined;
  lastUsed = Date.now();

  constructor(executable: string, repoDir: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(executable, ['serve', '--cmdserver', 'pipe', '--config', 'ui.interactive=false'], {
      cwd: repoDir,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.on('data', () => {});
    this.child.stdin.on('error', () => {});
    this.child.on('error', (e) => this.fail(new FerryError('FERRY_VCS_FAILED', `could not run ${executable}: ${e.message}`, { cause: e })));
    this.child.on('exit', (code) => this.fail(new FerryError('FERRY_VCS_FAILED', `hg command server exited (${code ?? 'signal'})`)));
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  /** Runs one hg command (arguments as an array, never a shell string). */
  run(args: readonly string[]): Promise<CommandResult> {
    this.lastUsed = Date.now();
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.queue.push({ args, resolve, reject });
      this.pump();
    });
  }

  /** Like run, but a non-zero exit becomes FERRY_VCS_FAILED with hg's last error line. */
  async runOk(args: readonly string[]): Promise<Buffer> {
    const r = await this.run(args);
    if (r.code !== 0) {
      const last = r.err.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.code}`;
      throw new FerryError('FERRY_VCS_FAILED', `hg ${args[0] ?? ''} failed: ${last}`, { data: { code: r.code } });
    }
    return r.out;
  }

  close(): void {
    this.fail(new FerryError('FERRY_SHUTTING_DOWN', 'hg command server closed'));
    this.child.stdin.end();
    this.child.kill('SIGTERM');
  }

  private pump(): void {
    if (!this.hello || this.current || this.dead) return;
    const next = this.queue.shift();
    if (!next) return;
    this.current = { pending: next, out: [], err: [] };
    // Arguments are bytes: a file name read from hg (byte-names.ts) goes back as the same bytes.
    const payload = encodeBytes(next.args.join('\0'));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(payload.length);
    this.child.stdin.write(Buffer.concat([Buffer.from('runcommand\n'), header, payload]));
  }

  private onData(chunk: Buffer): void {
    // A large message (a big file's `hg cat`, an annotation) arrives in many chunks: gather them
    // and join once it is complete (joining on every chunk copies it once per chunk).
    const all = this.gathered.add(chunk);
    if (all === undefined) return;
    this.buffer = all;
    this.parse();
    this.gathered.keep(this.buffer);
  }

  private parse(): void {
    while (this.buffer.length >= 5) {
      const channel = String.fromCharCode(this.buffer[0] as number);
      const length = this.buffer.readUInt32BE(1);
      // Input channels (I, L) carry a requested size, not data.
      if (channel === 'I' || channel === 'L') {
        this.buffer = this.buffer.subarray(5);
        const empty = Buffer.alloc(4);
        this.child.stdin.write(empty);
        continue;
      }
      if (this.buffer.length < 5 + length) {
        this.gathered.needed = 5 + length;
        return;
      }
      const data = this.buffer.subarray(5, 5 + length);
      this.buffer = this.buffer.subarray(5 + length);
      this.onMessage(channel, data);
    }
  }

  private onMessage(channel: string, data: Buffer): void {
    if (!this.hello) {
      if (channel === 'o') {
        const caps = /^capabilities: (.*)$/m.exec(data.toString('utf8'))?.[1] ?? '';
        if (!caps.split(' ').includes('runcommand')) {
          this.fail(new FerryError('FERRY_VCS_FAILED', 'hg command server lacks runcommand'));
          return;
        }
        this.hello = true;
        this.pump();
      }
      return;
    }
    const cur = this.current;
    if (!cur) return;
    if (channel === 'o') cur.out.push(Buffer.from(data));
    else if (channel === 'e') cur.err.push(Buffer.from(data));
    else if (channel === 'r') {
      this.current = undefined;
      cur.pending.resolve({ out: Buffer.concat(cur.out), err: Buffer.concat(cur.err).toString('utf8'), code: data.readInt32BE(0) });
      this.pump();
    }
  }

  private fail(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    if (this.current) this.current.pending.reject(err);
    this.current = undefined;
    for (const p of this.queue.splice(0)) p.reject(err);
  }
}

/** A least-recently-used pool of HgCommandServer processes, one per repository directory. */
export class HgCommandServerPool extends ProcessPool<HgCommandServer> {
  private program: { executable: string; env: NodeJS.ProcessEnv };

  constructor(executable: string, env: NodeJS.ProcessEnv, max = 16, idleMs = 5 * 60_000) {
    super((repoDir) => new HgCommandServer(this.program.executable, repoDir, this.program.env), max, idleMs);
    this.program = { executable, env };
  }

  /** Starts the command servers from now on with this program (chg: `HgServe.commandServers`); running ones stay. */
  use(program: { executable: string; env: NodeJS.ProcessEnv }): void {
    this.program = program;
  }
}
