/** Read-only views of a repository for the web pages; each adapter reads through long-lived processes. */
export interface RefLabel {
  readonly kind: 'branch' | 'tag' | 'bookmark' | 'topic' | 'phase';
  readonly name: string;
}

export interface CommitInfo {
  readonly id: string;
  readonly parents: readonly string[];
  readonly author: string;
  readonly email: string;
  /** ISO 8601 */
  readonly date: string;
  readonly message: string;
  readonly labels: readonly RefLabel[];
  /** An hg changeset that closes its named branch (`hg commit --close-branch`). */
  readonly closesBranch?: boolean;
}

/** One line of a blamed file: the commit that last changed it and its text (without the newline). */
export interface BlameLine {
  readonly commit: string;
  readonly text: string;
}

/** Who last changed each line of a file at a commit, with what each of those commits is. */
export interface Blame {
  readonly lines: readonly BlameLine[];
  /** commit id → author, ISO 8601 date and first line of the message */
  readonly commits: ReadonlyMap<string, { readonly author: string; readonly date: string; readonly summary: string }>;
}

/** `.tar.gz` or `.zip`, as `git archive --format` and `hg archive -t` (tgz, zip) make them. */
export type ArchiveFormat = 'tar.gz' | 'zip';

/** A running archiver: its output is streamed to the client, never collected in memory. */
export interface ArchiveStream {
  readonly stdout: NodeJS.ReadableStream;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number>;
  kill(): void;
}

export interface LogOptions {
  readonly ref?: string;
  /** Only commits that change this file or directory (a file's history follows renames). */
  readonly path?: string;
  readonly offset: number;
  readonly limit: number;
}

export interface RefInfo {
  readonly name: string;
  readonly id: string;
  readonly date: string;
  readonly summary: string;
  readonly closed?: boolean;
  /** An hg named branch whose head was merged into another branch (`hg branches` calls it inactive). */
  readonly merged?: boolean;
  readonly isDefault?: boolean;
}

export interface TreeEntry {
  readonly name: string;
  readonly type: 'file' | 'dir' | 'link' | 'submodule';
  /** The object id where the VCS has one per entry (git: blob, tree or submodule commit). */
  readonly id?: string;
}

/** What a commit changed against its first parent, counted without its diff text (lists of commits). */
export interface CommitChanges {
  /** Each changed file (a rename or copy by its new path), sorted by path. */
  readonly files: readonly { readonly path: string; readonly status: 'added' | 'deleted' | 'modified' | 'renamed' | 'copied' }[];
  /** Lines added and removed, as the commit's git-style diff counts them (binary files count none). */
  readonly additions: number;
  readonly deletions: number;
}

export interface RepoBrowser {
  /** The branch a visitor lands on, or undefined for an empty repository. */
  defaultBranch(): Promise<string | undefined>;
  /** Branch, tag or bookmark name, or a hex commit id (prefix), to the full id. */
  resolve(ref: string): Promise<string | undefined>;
  /** All names `resolve` knows, to split `REF/path` when a name holds `/`. */
  refNames(): Promise<string[]>;
  /**
   * Newest first; `ref` limits to its ancestors, otherwise every branch. When `ref` names an hg
   * named branch, only that branch's changesets are listed (as `hg log -b NAME`): the ancestors
   * merged in from other named branches are not.
   */
  log(options: LogOptions): Promise<CommitInfo[]>;
  /**
   * Commits reachable from `head` but not from `base` (git `base..head`, hg `only(head, base)`),
   * newest first; both are full ids.
   */
  between(base: string, head: string, options: { offset: number; limit: number }): Promise<CommitInfo[]>;
  /** Unified diff (git style) from the common ancestor of `base` and `head` to `head` (as `git diff base...head`). */
  compareDiff(base: string, head: string): Promise<Buffer>;
  /** Line-by-line authorship of a text file at a commit, or undefined when it is not a file. */
  blame(id: string, path: string): Promise<Blame | undefined>;
  /** Starts an archiver writing the tree at `id` to its stdout, every entry under `prefix/`. */
  archive(id: string, format: ArchiveFormat, prefix: string): ArchiveStream;
  commit(id: string): Promise<CommitInfo | undefined>;
  /** Unified diff (git style) of the commit against its first parent. */
  diff(id: string): Promise<Buffer>;
  /**
   * What each commit (full ids) changed against its first parent, in one hg/git call for them all
   * (`hg log --stat --git`, `git log --raw --numstat`); ids that name no commit are left out.
   */
  changes(ids: readonly string[]): Promise<ReadonlyMap<string, CommitChanges>>;
  /** Entries of a directory at a commit, or undefined when `path` is not a directory. */
  tree(id: string, path: string): Promise<TreeEntry[] | undefined>;
  /** A file's bytes at a commit, or undefined when it is not a file. */
  blob(id: string, path: string): Promise<Buffer | undefined>;
  branches(): Promise<RefInfo[]>;
  tags(): Promise<RefInfo[]>;
}

/** What a user may type as a ref in a URL: names from the repo or a hex id. Checked before use. */
export function isPlausibleRef(ref: string): boolean {
  return ref.length > 0 && ref.length <= 255 && !ref.startsWith('-') && !/[\0-\x20\x7f~^:?*[\\]/.test(ref) && !ref.includes('..');
}

export function sortEntries(entries: TreeEntry[]): TreeEntry[] {
  return entries.sort((a, b) => (a.type === 'dir') === (b.type === 'dir') ? a.name.localeCompare(b.name) : a.type === 'dir' ? -1 : 1);
}
