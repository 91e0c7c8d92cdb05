import { InvalidInputError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses `90s`, `5m`, `1h30m`, `2d` into milliseconds.
 * `examples`: what the error suggests writing, fit for the caller's range (a token lasts at least 1h).
 * @throws InvalidInputError for anything else, or for zero.
 */
export function parseDuration(input: string, examples = '30s, 5m, 1h, 1h30m or 90d'): number {
  const re = /(\d+)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(input); m !== null; m = re.exec(input)) {
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (input === '' || consumed !== input.length || total <= 0) {
    throw new InvalidInputError(`invalid duration ${JSON.stringify(input)}: write it like ${examples}`);
  }
  return total;
}

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3 };

/** Parses `300MB`, `64KiB`, `1048576` into bytes. */
export function parseSize(input: string | number): number {
  if (typeof input === 'number' && Number.isFinite(input) && input >= 0) return Math.floor(input);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(String(input));
  const unit = m ? SIZE_UNITS[(m[2] as string).toUpperCase()] : undefined;
  if (!m || unit === undefined) {
    throw new InvalidInputError(`invalid size ${JSON.stringify(input)}: write it like 300MB, 64KiB or a number of bytes`);
  }
  return Math.floor(Number(m[1]) * unit);
}

/** Milliseconds as the largest whole unit `parseDuration` reads back: `2d`, `90m`, `45s`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
