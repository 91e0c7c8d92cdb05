import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../domain/errors.js';
import { readFileArg } from './paths.js';

let closedPipeGuarded = false;

/**
 * Ends the process quietly, with status 141 (128 + SIGPIPE), once standard output turns out to be
 * a pipe whose reader has gone (`ferry repo list | head -1`), as git does (write_or_die.c
 * `check_pipe`: the status of a process killed by SIGPIPE). node ignores SIGPIPE, so the write
 * fails with EPIPE instead, and an unhandled stream error would print a stack trace and exit 1.
 * Other errors of standard output are left to node. Installs its listener once per process.
 */
export function exitQuietlyOnClosedPipe(): void {
  if (closedPipeGuarded) return;
  closedPipeGuarded = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printErr(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Fixed-width columns for list commands. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  print(line(header));
  for (const row of rows) print(line(row));
}

/**
 * util.parseArgs with our usage errors: one line each, never node's own parse text. A string
 * option given an empty value is refused (`--secret ''` must not quietly mean "none"), with the
 * hint of `emptyHints` for that option when there is one.
 * @throws UsageError (exit 2) saying what to type.
 */
export function parseCommand<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  usage: string,
  positionals: { min: number; max: number },
  emptyHints: Partial<Record<keyof T & string, string>> = {},
) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${parseArgsProblem(err, args)}; usage: ${usage}`);
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value !== '') continue;
    const hint = (emptyHints as Record<string, string | undefined>)[name];
    throw new UsageError(`--${name} needs a value, not an empty one${hint === undefined ? `; leave --${name} out to use the default` : `: ${hint}`}; usage: ${usage}`);
  }
  if (parsed.positionals.length < positionals.min || parsed.positionals.length > positionals.max) {
    throw new UsageError(`usage: ${usage}`);
  }
  return parsed;
}

/** Reads a file, or standard input for `-` / nothing. */
export function readInput(file: string | undefined): string {
  if (file === undefined || file === '-') {
    if (process.stdin.isTTY) throw new UsageError('paste the key on standard input (end with Ctrl-D), or give a file');
    return readFileSync(0, 'utf8');
  }
  return readFileArg(file, 'the file');
}

/**
 * node's parseArgs refusal in our words: a negative number where an argument was due (`-1`) is
 * no option but a value out of range; an unknown option is named; the rest is its first line.
 */
function parseArgsProblem(err: unknown, args: readonly string[]): string {
  const message = (err as Error).message;
  const code = (err as { code?: unknown }).code;
  // node's "argument is ambiguous" (a value that starts with `-`, as in `--expires -5d`): say how to write it.
  const ambiguous = /^Option '(--[a-z-]+)' argument is ambiguous/.exec(message);
  if (ambiguous) return `${ambiguous[1]} takes a value; one that starts with - is written ${ambiguous[1]}=VALUE`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /^Unknown option '([^']*)'/.exec(message)?.[1] ?? '';
    const typed = args.find((a) => a === option || a.startsWith(`${option}=`) || (option.length === 2 && a.startsWith(option))) ?? option;
    if (/^-[0-9]/.test(typed)) return `${JSON.stringify(typed)} is not a valid value here: ids and counts are positive whole numbers (ids start at 1)`;
    return `unknown option ${JSON.stringify(typed)}`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return 'too many arguments';
  return message.split('\n')[0] as string;
}
