import type { RepoKind } from '../domain/repo-kind.js';

/** How a new repository is made; hg ignores what does not apply to it. */
export interface InitOptions {
  /** git's hash function (`git init --object-format`); sha1 unless told. */
  readonly objectFormat?: ObjectFormat;
}

export type ObjectFormat = 'sha1' | 'sha256';

/** What Ferry asks of a version-control system. One contract suite runs against each adapter. */
export interface VcsAdapter {
  readonly kind: RepoKind;
  /** Creates an empty repository in `dir` (which must not exist yet). */
  init(dir: string, options?: InitOptions): Promise<void>;
  /** True when `dir` holds a repository of this kind. */
  isRepository(dir: string): boolean;
}

export type VcsAdapters = Readonly<Record<RepoKind, VcsAdapter>>;
