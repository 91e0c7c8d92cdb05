import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FerryError } from '../domain/errors.js';

export type SourceScheme = 'ssh' | 'https' | 'http' | 'file';

/** An import/mirror source that passed every check below; only these reach hg or git. */
export interface ImportSource {
  readonly scheme: SourceScheme;
  /** What hg/git are given: the URL as typed (remote) or an absolute directory (local). */
  readonly location: string;
  /** The URL without user info, for messages and lists. */
  readonly display: string;
  /** Host (remote sources only). */
  readonly host: string;
  /** User name from the URL, if any (never a password: those are refused). */
  readonly user: string;
  /** `scheme://host[:port]` for remote sources (an hg [auth] prefix). */
  readonly origin: string;
}

export interface UrlPolicy {
  /** Local paths and file:// URLs read the server's disk: only an admin may use them. */
  readonly allowLocal: boolean;
}

const REMOTE_SCHEMES = new Set(['ssh', 'https', 'http']);

function unsafe(raw: string, why: string): FerryError {
  return new FerryError('FERRY_UNSAFE_URL', `refusing import URL ${JSON.stringify(raw)}: ${why}`, { data: { url: raw } });
}

/**
 * The one gate in front of every URL an import or a mirror hands to hg or git. It refuses
 * anything that could make the client run a program (git's `ext::`/`fd::` and every other
 * `transport::` form, ssh option injection through a host, user or path starting with `-` —
 * CVE-2017-1000116/1000117 — and hg's `ssh://host/--…` forms), other schemes, embedded
 * passwords (they would show in `ps` and the repo config) and local paths unless allowed.
 */
export function parseImportUrl(raw: string, policy: UrlPolicy): ImportSource {
  if (raw === '') throw unsafe(raw, 'it is empty');
  if (/[\u0000-\u0020\u007f]/.test(raw)) throw unsafe(raw, 'it contains spaces or control characters');
  if (raw.startsWith('-')) throw unsafe(raw, 'it starts with "-" and would be read as an option');
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(raw)) {
    throw unsafe(raw, 'git "transport::address" URLs (ext::, fd::, …) can run programs; use ssh://, https:// or http://');
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) return parseLocalOrScp(raw, policy);
  if (scheme === 'file') return parseFileUrl(raw, policy);
  if (!REMOTE_SCHEMES.has(scheme)) {
    throw unsafe(raw, `the scheme ${scheme}:// is not supported; use ssh://, https:// or http://`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw unsafe(raw, 'it is not a valid URL');
  }
  const host = url.hostname;
  if (host === '') throw unsafe(raw, 'it has no host');
  if (host.startsWith('-') || decodeURIComponent(host).startsWith('-')) throw unsafe(raw, 'the host starts with "-" (an ssh option injection, CVE-2017-1000116)');
  const user = decodeSafe(raw, url.username);
  if (user.startsWith('-')) throw unsafe(raw, 'the user name starts with "-" (an ssh option injection)');
  if (/[@:/\\]/.test(user)) throw unsafe(raw, 'the user name holds characters that change how ssh reads it');
  if (url.password !== '') {
    const how =
      scheme === 'ssh'
        ? 'use --identity KEYFILE (or an ssh agent) instead'
        : 'remove it from the URL and set FERRY_IMPORT_PASSWORD (and FERRY_IMPORT_USER, or keep the user in the URL), or type it at the prompt';
    throw unsafe(raw, `it contains a password, which would show in ps and be stored; ${how}`);
  }
  const path = decodeSafe(raw, url.pathname);
  const firstSegment = path.replace(/^\/+/, '').replace(/^~[^/]*\/?/, '');
  if (path.replace(/^\/+/, '').startsWith('-') || firstSegment.startsWith('-')) {
    throw unsafe(raw, 'the path starts with "-" and would be read as an option by the remote hg or git');
  }
  if (scheme === 'ssh' && (url.search !== '' || url.hash !== '')) throw unsafe(raw, 'ssh URLs take no ?query or #fragment');
  const origin = `${scheme}://${url.host}`;
  return { scheme: scheme as SourceScheme, location: raw, display: `${origin}${url.pathname}${url.search}`, host, user, origin };
}

function decodeSafe(raw: string, part: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(part);
  } catch {
    throw unsafe(raw, 'it holds a malformed %-escape');
  }
  if (/[\u0000-\u001f\u007f]/.test(decoded)) throw unsafe(raw, 'it encodes control characters');
  return decoded;
}

function parseLocalOrScp(raw: string, policy: UrlPolicy): ImportSource {
  // scp-like `[user@]host:path` (a colon before any slash): git reads it as ssh, hg as a file.
  const colon = raw.indexOf(':');
  const slash = raw.indexOf('/');
  if (colon > 0 && (slash === -1 || colon < slash)) {
    throw unsafe(raw, 'scp-like "host:path" addresses are ambiguous; write it as ssh://[USER@]HOST/PATH');
  }
  return localSource(raw, resolve(raw), policy);
}

function parseFileUrl(raw: string, policy: UrlPolicy): ImportSource {
  let dir: string;
  try {
    const url = new URL(raw);
    if (url.hostname !== '' && url.hostname !== 'localhost') throw unsafe(raw, 'file:// URLs must name a local path (file:///path)');
    dir = fileURLToPath(url);
  } catch (err) {
    if (err instanceof FerryError) throw err;
    throw unsafe(raw, 'it is not a valid file:// URL');
  }
  return localSource(raw, dir, policy);
}

function localSource(raw: string, dir: string, policy: UrlPolicy): ImportSource {
  if (!policy.allowLocal) throw unsafe(raw, 'local paths and file:// URLs read the server\'s disk; only an admin may import them');
  if (!isAbsolute(dir) || dir.split('/').some((segment) => segment.startsWith('-'))) {
    throw unsafe(raw, 'a path segment starts with "-" and could be read as an option');
  }
  if (!existsSync(dir)) throw new FerryError('FERRY_IMPORT_FAILED', `${dir} does not exist; give the path of an hg or git repository`, { data: { url: raw } });
  return { scheme: 'file', location: dir, display: dir, host: '', user: '', origin: '' };
}
