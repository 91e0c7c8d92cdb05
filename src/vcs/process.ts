import { spawn, type SpawnOptions } from 'node:child_process';
import { FerryError } from '../domain/errors.js';

export interface RunResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly code: number;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: Buffer | string;
  /** Non-zero exit is returned instead of thrown. */
  readonly allowFailure?: boolean;
  readonly signal?: AbortSignal;
  /** Sees standard error as it arrives (progress lines). */
  readonly onStderr?: (chunk: Buffer) => void;
}

/**
 * Runs a fixed executable with an argument array (never a shell) and collects its output.
 * A failure becomes FERRY_VCS_FAILED carrying the program's last stderr line.
 */
export function runProcess(executable: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const spawnOptions: SpawnOptions = { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal };
    const child = spawn(executable, args, spawnOptions);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => {
      err.push(b);
      options.onStderr?.(b);
    });
    child.on('error', (e) => reject(new FerryError('FERRY_VCS_FAILED', `could not run ${executable}: ${e.message}`, { cause: e })));
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      const exit = code ?? (signal ? 128 : 1);
      if (exit !== 0 && !options.allowFailure) {
        const last = stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${exit}${signal ? ` (${signal})` : ''}`;
        reject(new FerryError('FERRY_VCS_FAILED', `${executable.split('/').pop()} ${args[0] ?? ''} failed: ${last}`, { data: { code: exit, stderr } }));
        return;
      }
      resolvePromise({ stdout: Buffer.concat(out), stderr, code: exit });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}
