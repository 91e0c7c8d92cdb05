import { displayName, encodeUrlPath } from '../domain/byte-names.js';

/**
 * The one HTML escaping helper. `html\`…\`` escapes every interpolated value unless it is
 * already SafeHtml (the output of another `html` template or of a trusted renderer).
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const SPECIAL = /[&<>"']/;

/** `s` with `& < > " '` as entities; a string without them (most diff and code lines) comes back as is. */
export function escapeHtml(s: string): string {
  const first = s.search(SPECIAL);
  if (first < 0) return s;
  let out = s.slice(0, first);
  let from = first;
  for (let i = first; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 38 && c !== 60 && c !== 62 && c !== 34 && c !== 39) continue;
    const entity = ESCAPES[s[i] as string] as string;
    out += s.slice(from, i) + entity;
    from = i + 1;
  }
  return out + s.slice(from);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  // A name holding bytes that are not UTF-8 (src/domain/byte-names.ts) shows them as U+FFFD.
  return escapeHtml(displayName(String(value)));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] as string;
  for (let i = 0; i < values.length; i++) out += render(values[i] as HtmlValue) + (strings[i + 1] as string);
  return new SafeHtml(out);
}

/**
 * Marks a string as HTML without escaping. Only for output of renderers that escape on their own
 * (markdown-it with html:false, highlight.js) — never for anything from a repo or a user.
 */
export function trustedHtml(s: string): SafeHtml {
  return new SafeHtml(s);
}

/** Percent-encodes each segment of a slash-separated path (its bytes, see byte-names.ts) for use in a URL. */
export function urlPath(path: string): string {
  return encodeUrlPath(path);
}
