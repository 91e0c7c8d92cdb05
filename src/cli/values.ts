import { UsageError } from '../domain/errors.js';

/**
 * Values typed on the command line, parsed once with a one-line error that says what to type.
 * Ids (hooks, deliveries, tokens) are the positive whole numbers that the matching `list`
 * command prints.
 */

/** The largest id taken: SQLite's rowids are 64-bit, but JavaScript numbers are exact to 2^53. */
const MAX_ID = Number.MAX_SAFE_INTEGER;

/**
 * Parses an id argument: a positive whole number in decimal (`1`, not `-1`, `1.5`, `0x1` or `1e3`).
 * @param what what the id names, for the message (`delivery id`).
 * @param listCommand the command that lists the ids, to point at.
 * @throws UsageError (exit 2) saying what to type.
 */
export function parseIdArg(input: string, what: string, listCommand: string): number {
  const value = /^[0-9]{1,16}$/.test(input) ? Number(input) : NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_ID) {
    throw new UsageError(`${what} must be a positive whole number (ids start at 1), not ${JSON.stringify(shorten(input))}; ${listCommand} shows them`);
  }
  return value;
}

/**
 * A free-text option value (a label, a title): at most `max` characters and no control characters
 * (a newline would split the line where it is shown).
 * @throws UsageError (exit 2) saying what to type.
 */
export function parseTextOption(name: string, value: string, max: number): string {
  if (value.length > max) throw new UsageError(`--${name} is at most ${max} characters (this one has ${value.length})`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new UsageError(`--${name} must be one line of text without control characters`);
  return value;
}

/** `s` cut to 40 characters for a message. */
export function shorten(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
