import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../domain/errors.js';

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

/** util.parseArgs with our usage errors. */
export function parseCommand<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  usage: string,
  positionals: { min: number; max: number },
) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const message = (err as Error).message;
    // node's "argument is ambiguous" (a value that starts with `-`, as in `--expires -5d`): say how to write it.
    const ambiguous = /^Option '(--[a-z-]+)' argument is ambiguous/.exec(message);
    if (ambiguous) throw new UsageError(`${ambiguous[1]} takes a value; one that starts with - is written ${ambiguous[1]}=VALUE; usage: ${usage}`);
    throw new UsageError(`${message.split('\n')[0]}; usage: ${usage}`);
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
  return readFileSync(file, 'utf8');
}
