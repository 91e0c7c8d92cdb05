import type { RepoKind } from '../domain/repo-kind.js';

/** What Ferry asks of a version-control system. One contract suite runs against each adapter. */
export interface VcsAdapter {
  readonly kind: RepoKind;
  /** Creates an empty repository in `dir` (which must not exist yet). */
  init(dir: string): Promise<void>;
  /** True when `dir` holds a repository of this kind. */
  isRepository(dir: string): boolean;
}

export type VcsAdapters = Readonly<Record<RepoKind, VcsAdapter>>;
