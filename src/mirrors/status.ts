import type { Mirror } from '../store/types.js';
import { parseImportUrl } from './url-safety.js';

/** What `ferry mirror list` and a mirror's pages show about it; nothing here carries a credential. */
export interface MirrorStatus {
  /** The source without user info (`https://host/path`); credentials are never part of it. */
  readonly source: string;
  readonly intervalMs: number;
  readonly allowForce: boolean;
  /** When the last sync started, whether or not it worked (ISO date), or null before the first. */
  readonly lastAttemptAt: string | null;
  readonly lastSuccessAt: string | null;
  /** Why the last sync failed (a refused force-push or strip among others); null when it worked. */
  readonly lastError: string | null;
  readonly failures: number;
  /** ISO date of the next scheduled sync. */
  readonly nextRunAt: string;
}

/**
 * A mirror's state for display. The source URL is shown as the URL checks parsed it, without the
 * user part; the stored URL's own user name, and anything matching it, is blanked out of the
 * last error too (hg and git sometimes repeat the URL they were given).
 */
export function mirrorStatus(mirror: Mirror): MirrorStatus {
  let source = '(an unreadable URL)';
  let user = '';
  try {
    const parsed = parseImportUrl(mirror.url, { allowLocal: true });
    source = parsed.display;
    user = parsed.user;
  } catch {
    // A URL stored by an older Ferry that no longer passes the checks: it is never synced either.
  }
  return {
    source,
    intervalMs: mirror.intervalMs,
    allowForce: mirror.allowForce,
    lastAttemptAt: mirror.lastAttemptAt,
    lastSuccessAt: mirror.lastSuccessAt,
    lastError: mirror.lastError === null ? null : redact(mirror.lastError, mirror.url, source, user),
    failures: mirror.failures,
    nextRunAt: new Date(mirror.nextRunAt).toISOString(),
  };
}

function redact(message: string, url: string, display: string, user: string): string {
  let out = message.split(url).join(display);
  if (user !== '') out = out.split(`${user}@`).join('');
  // Any other `scheme://user:secret@` a tool may have printed.
  return out.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1');
}
