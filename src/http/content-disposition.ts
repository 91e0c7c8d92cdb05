import { displayName } from '../domain/byte-names.js';

/**
 * A `Content-Disposition` header value for a file name from a repository (any bytes; see
 * src/domain/byte-names.ts): `filename*` carries the name as UTF-8 percent-encoded per RFC 5987
 * §3.2 (only attr-chars stay as they are; bytes that are not UTF-8 show as U+FFFD), and a plain
 * `filename` gives an ASCII fallback for old clients, as RFC 6266 §4.3 recommends. Never holds a
 * quote, a control character or a non-ASCII character, so no name can break the header.
 */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const text = displayName(name);
  const extended = [...Buffer.from(text, 'utf8')]
    .map((b) => (/[A-Za-z0-9!#$&+\-.^_`|~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
  const fallback = text.replace(/[^\x20-\x7e]|["\\%]/g, '_') || 'file';
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${extended}`;
}
