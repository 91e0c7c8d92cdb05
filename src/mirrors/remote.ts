import { FerryError, describeError } from '../domain/errors.js';
import type { RepoKind } from '../domain/repo-kind.js';
import type { SourceAccess } from './access.js';
import type { TransferProgress } from './progress.js';
import type { ImportSource } from './url-safety.js';

/** What a sync did. `refused` says which upstream rewrites were not followed (the sync failed). */
export interface SyncOutcome {
  readonly changed: boolean;
  readonly summary: string;
  readonly refused?: string;
  /** Noticed but harmless (an hg divergence the pull cannot remove). */
  readonly warning?: string;
}

/** Fetching from a source with one VCS: one adapter for hg, one for git. */
export interface RemoteVcs {
  readonly kind: RepoKind;
  /** True when the source answers as a repository of this kind. */
  probe(source: ImportSource, access: SourceAccess): Promise<boolean>;
  /** A complete copy of the source in `dest` (which must not exist). */
  clone(source: ImportSource, dest: string, access: SourceAccess, progress: TransferProgress): Promise<void>;
  /** Drops every trace of the source from the copy's config (or keeps the remote when asked). */
  finish(source: ImportSource, dest: string, options: { keepRemote: boolean }): Promise<void>;
  /** Throws FERRY_VERIFY_FAILED saying what differs; returns a one-line description of what matched. */
  verify(source: ImportSource, dest: string, access: SourceAccess): Promise<string>;
  /**
   * True when the copy holds draft changesets, which only a non-publishing hg source hands out:
   * the import is then made non-publishing, so they stay draft for every client.
   */
  keepsDrafts?(dest: string, access: SourceAccess): Promise<boolean>;
  /**
   * What `dir` has that the source does not (changesets, commits), one line each, at most a few:
   * empty when the repo's history is contained in the source's, so it can become its mirror.
   */
  unknownToSource(source: ImportSource, dir: string, access: SourceAccess): Promise<string[]>;
  /** Brings an existing copy up to date without losing anything it has (unless allowForce). */
  pull(source: ImportSource, dir: string, access: SourceAccess, options: { allowForce: boolean }, progress: TransferProgress): Promise<SyncOutcome>;
}

/** Lists differences, at most a few of each, for a one-line message. */
export function describeDifferences(diffs: readonly string[]): string {
  const shown = diffs.slice(0, 6).join('; ');
  return diffs.length > 6 ? `${shown}; and ${diffs.length - 6} more` : shown;
}

export function compareMaps(what: string, source: ReadonlyMap<string, string>, copy: ReadonlyMap<string, string>): string[] {
  const diffs: string[] = [];
  for (const [name, value] of source) {
    const mine = copy.get(name);
    if (mine === undefined) diffs.push(`${what} ${name} missing in the copy`);
    else if (mine !== value) diffs.push(`${what} ${name} is ${mine.slice(0, 12)} in the copy but ${value.slice(0, 12)} in the source`);
  }
  for (const name of copy.keys()) if (!source.has(name)) diffs.push(`${what} ${name} is in the copy but not in the source`);
  return diffs;
}

/** The line of a failed hg/git run that says what went wrong (not a trailing hint). */
export function lastWords(err: unknown): string {
  const stderr = err instanceof FerryError && typeof err.data.stderr === 'string' ? err.data.stderr : '';
  const lines = stderr.split(/[\r\n]+/).map((l) => l.trim()).filter(Boolean);
  const said = [...lines].reverse().find((l) => /^(abort|fatal|error|remote: error)[: ]/i.test(l)) ?? [...lines].reverse().find((l) => !l.startsWith('('));
  return said ?? describeError(err);
}
