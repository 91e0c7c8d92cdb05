import { z } from '@hono/zod-openapi';

/**
 * Query-string values as Gitea's API reads them, parsed once with a one-line refusal that says
 * what to send. A query string holds text only, so numbers and booleans are parsed from it here;
 * `z.coerce.boolean()` must never be used for them (it makes `false` and `maybe` both true).
 */

/**
 * The words Go's strconv.ParseBool takes (what Gitea's ctx.FormOptionalBool reads): anything else
 * is refused (Gitea ignores it silently, which hides typos such as `private=maybe`).
 */
const TRUE_WORDS = ['1', 't', 'T', 'TRUE', 'true', 'True'] as const;
const FALSE_WORDS = ['0', 'f', 'F', 'FALSE', 'false', 'False'] as const;

/** An optional boolean query parameter: `true`/`false` (or `1`/`0`, as strconv.ParseBool). */
export function queryBool(description: string) {
  return z
    .enum([...TRUE_WORDS, ...FALSE_WORDS], { error: 'give true or false' })
    .transform((v) => (TRUE_WORDS as readonly string[]).includes(v))
    .optional()
    .openapi({ description, type: 'boolean' });
}

/**
 * A whole-number query parameter from `min` up. Above `clamp` it is lowered to `clamp` rather
 * than refused, as Gitea does for page sizes (convert.ToCorrectPageSize); with `zeroIsDefault`,
 * 0 means the default (Gitea's `page=0` and `limit=0`). Text that is no whole number is refused.
 */
export function queryInt(options: { min: number; default: number; clamp?: number; zeroIsDefault?: boolean; description: string }) {
  const { min, clamp, description } = options;
  const floor = options.zeroIsDefault === true ? 0 : min;
  const word = `give a whole number from ${min}${clamp === undefined ? '' : ` (a page holds at most ${clamp})`}`;
  return z
    .string()
    .regex(/^[0-9]{1,15}$/, { error: word })
    .transform(Number)
    .pipe(z.number().int().min(floor, { error: word }))
    .transform((n) => (n === 0 && floor === 0 ? options.default : clamp !== undefined && n > clamp ? clamp : n))
    .optional()
    .transform((n) => n ?? options.default)
    .openapi({
      description: `${description}${clamp === undefined ? '' : ` (at most ${clamp}: a larger value is taken as ${clamp}, as Gitea does)`}${floor === 0 ? '; 0 means the default' : ''}`,
      type: 'integer',
      minimum: floor,
      default: options.default,
    });
}
