import type { RepoKind } from '../domain/repo-kind.js';

/** The archive's format version; `ferry restore` refuses others. */
export const BACKUP_FORMAT = 1;

/** Where the manifest sits in the archive: always the first entry. */
export const MANIFEST_NAME = 'manifest.json';

/** What a backup holds of one repository, as it was when its copy was taken. */
export interface RepoEntry {
  /** The repo path (as stored in the database, case kept). */
  readonly path: string;
  readonly kind: RepoKind;
  /** The repos table's id, or null for a directory on disk with no row. */
  readonly id: number | null;
  /** hg: head node ids (all branches, hidden excluded); git: `refname → object id`. */
  readonly heads: readonly string[];
  readonly refs: Readonly<Record<string, string>>;
  /** hg: changesets (hidden included) and obsolescence markers; git: objects in the bundle. */
  readonly objects: number;
  readonly obsMarkers?: number;
  /** git: the branch HEAD names (`refs/heads/main`) and the object format. */
  readonly head?: string;
  readonly objectFormat?: 'sha1' | 'sha256';
  /** Archive entries that make up this repo (hg: files of the copy; git: the bundle and config). */
  readonly entry: string;
}

/** One file of the archive and its SHA-256 (hex), as written. */
export interface FileEntry {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
}

export interface Manifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly createdAt: string;
  readonly ferryVersion: string;
  readonly repos: readonly RepoEntry[];
  /** Rows of the repos table with no repository on disk when the backup was taken. */
  readonly missingOnDisk: readonly string[];
  readonly files: readonly FileEntry[];
}
