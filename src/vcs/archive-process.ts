import { spawn } from 'node:child_process';
import type { ArchiveStream } from './browse.js';

/**
 * Starts `git archive` or `hg archive … -` (argument array, never a shell) with its archive on
 * stdout. Standard error is drained and dropped; the caller streams stdout and checks `exited`.
 */
export function spawnArchiver(executable: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): ArchiveStream {
  const child = spawn(executable, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.resume();
  const exited = new Promise<number>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  return {
    stdout: child.stdout,
    exited,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}
