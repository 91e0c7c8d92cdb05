import { encodeBytes, hasRawBytes } from '../domain/byte-names.js';
import { runProcess, type RunOptions, type RunResult } from './process.js';

/**
 * Runs `executable` with arguments that may hold bytes that are not UTF-8 (a file name read from
 * git, see src/domain/byte-names.ts). Node encodes every argument as UTF-8, which would turn such
 * a byte into U+FFFD; so when an argument holds one, the arguments go NUL-separated through
 * `xargs -0` (GNU findutils), which passes them on as the bytes they are — still an argument
 * array, never a shell. xargs runs the program once (`-x`: never split), with stdin from
 * /dev/null, and exits 123 when the program exits 1-125 (xargs(1) "EXIT STATUS"); so the caller
 * cannot also give `input`.
 */
export function runWithByteArgs(executable: string, args: readonly string[], options: Omit<RunOptions, 'input'> = {}): Promise<RunResult> {
  if (!args.some(hasRawBytes)) return runProcess(executable, args, options);
  const input = Buffer.concat(args.flatMap((a) => [encodeBytes(a), Buffer.of(0)]));
  return runProcess('xargs', ['-0', '-x', '-s', String(Math.max(4096, input.length + executable.length + 1024)), '--', executable], { ...options, input });
}
