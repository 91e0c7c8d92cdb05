import { createHash } from 'node:crypto';
import { Blob, hashOf } from './blob.js';
import { contentTypeOfName, typeOf } from './content-type.js';
import type { TreeEntry } from './vcs-source.js';
import { displayName } from '../domain/byte-names.js';

export type TreeNode =
  | {
      readonly kind: 'file' | 'symlink';
      /** The object id: what `load` is given, and the ETag. */
      readonly id: string;
      readonly size: number;
      readonly executable: boolean;
      /** The type the file's name gives (undefined: its bytes decide; a symlink's target is text). */
      readonly nameType: string | undefined;
    }
  | { readonly kind: 'too-large'; readonly size: number };

export type FileNode = Extract<TreeNode, { id: string }>;

export interface DirEntry {
  readonly name: string;
  readonly type: 'file' | 'dir' | 'symlink';
  readonly size: number;
  readonly hash: string;
  readonly files?: number;
}

/** Reads a file's bytes (from a cache, or the repository). */
export type BlobLoader = (node: FileNode, path: string) => Blob | Promise<Blob>;

/** `.hg*` and `.git*` never enter a snapshot (nor a published directory). */
export function isHiddenVcsName(segment: string): boolean {
  return segment.startsWith('.hg') || segment.startsWith('.git');
}

const SYMLINK_TYPE = 'text/plain; charset=utf-8';

/**
 * The files of one commit, immutable once built: a request resolves its ref to one snapshot and
 * reads only from it, so it can never see a mix of two versions. It holds the index (paths,
 * sizes, object ids), never the contents: those are loaded on demand through `load`, so a tree of
 * any size can be served within the memory budget.
 */
export class Snapshot {
  private readonly listings = new Map<string, Blob>();

  private constructor(
    readonly commit: string,
    readonly files: ReadonlyMap<string, TreeNode>,
    readonly dirs: ReadonlyMap<string, readonly DirEntry[]>,
    private readonly load: BlobLoader,
    readonly fileBytes: number,
    /** What the index itself takes in memory (an estimate). */
    readonly indexBytes: number,
  ) {}

  static build(commit: string, entries: readonly TreeEntry[], load: BlobLoader, maxFileSize: number): Snapshot {
    const files = new Map<string, TreeNode>();
    let bytes = 0;
    let index = 0;
    for (const e of entries) {
      if (e.path.split('/').some(isHiddenVcsName)) continue;
      bytes += e.size;
      index += 2 * e.path.length + e.id.length + 120;
      if (e.size > maxFileSize) files.set(e.path, { kind: 'too-large', size: e.size });
      else files.set(e.path, { kind: e.type, id: e.id, size: e.size, executable: e.executable, nameType: e.type === 'symlink' ? SYMLINK_TYPE : contentTypeOfName(e.path) });
    }
    const dirs = listDirectories(files);
    for (const [dir, list] of dirs) index += 2 * dir.length + 100 * list.length;
    return new Snapshot(commit, files, dirs, load, bytes, index);
  }

  /** The bytes of the file at `path` (a file node of this snapshot). */
  blob(node: FileNode, path: string): Blob | Promise<Blob> {
    return this.load(node, path);
  }

  /** The Content-Type of `node` with bytes `blob`: from the name, else from the bytes. */
  static contentType(node: FileNode, blob: Blob): string {
    return typeOf(node.nameType, () => blob.isText);
  }

  /** The JSON listing of directory `dir` ('' for the root), as a blob (ETag, compression). */
  listing(dir: string): Blob | undefined {
    const cached = this.listings.get(dir);
    if (cached) return cached;
    const entries = this.dirs.get(dir);
    if (!entries) return undefined;
    // Names whose bytes are not UTF-8 show them as U+FFFD, as every page does (docs/urls.md).
    const shown = (_key: string, value: unknown): unknown => (typeof value === 'string' ? displayName(value) : value);
    const body = Buffer.from(`${JSON.stringify({ commit: this.commit, path: dir === '' ? '/' : `/${dir}/`, entries }, shown, 1)}\n`);
    const blob = new Blob(body, hashOf(body));
    this.listings.set(dir, blob);
    return blob;
  }
}

/** Builds every directory's entries bottom-up; a directory's hash covers its whole subtree. */
function listDirectories(files: ReadonlyMap<string, TreeNode>): Map<string, DirEntry[]> {
  const children = new Map<string, Map<string, DirEntry | 'dir'>>([['', new Map()]]);
  for (const [path, node] of files) {
    const parts = path.split('/');
    for (let i = 0; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const name = parts[i] as string;
      let siblings = children.get(parent);
      if (!siblings) children.set(parent, (siblings = new Map()));
      if (i < parts.length - 1) {
        siblings.set(name, 'dir');
      } else {
        siblings.set(name, {
          name,
          type: node.kind === 'symlink' ? 'symlink' : 'file',
          size: node.size,
          hash: node.kind === 'too-large' ? '' : node.id,
        });
      }
    }
  }
  const out = new Map<string, DirEntry[]>();
  const summarize = (dir: string): { size: number; files: number; hash: string } => {
    const entries: DirEntry[] = [];
    const h = createHash('sha1');
    let size = 0;
    let count = 0;
    const names = [...(children.get(dir)?.keys() ?? [])].sort();
    for (const name of names) {
      const child = children.get(dir)?.get(name);
      if (child === 'dir') {
        const sub = summarize(dir === '' ? name : `${dir}/${name}`);
        entries.push({ name, type: 'dir', size: sub.size, hash: sub.hash, files: sub.files });
        size += sub.size;
        count += sub.files;
        h.update(`d ${name} ${sub.hash}\n`);
      } else if (child) {
        entries.push(child);
        size += child.size;
        count++;
        h.update(`${child.type[0]} ${name} ${child.hash}\n`);
      }
    }
    out.set(dir, entries);
    return { size, files: count, hash: h.digest('hex') };
  };
  summarize('');
  return out;
}
