import { createHash } from 'node:crypto';
import type { Blob, BlobPool } from './blob.js';
import type { TarEntry } from './tar.js';

export type TreeNode =
  | { readonly kind: 'file'; readonly blob: Blob; readonly executable: boolean }
  | { readonly kind: 'symlink'; readonly target: string; readonly blob: Blob }
  | { readonly kind: 'too-large'; readonly size: number };

export interface DirEntry {
  readonly name: string;
  readonly type: 'file' | 'dir' | 'symlink';
  readonly size: number;
  readonly hash: string;
  readonly files?: number;
}

/** `.hg*` and `.git*` never enter a snapshot (nor a published directory). */
export function isHiddenVcsName(segment: string): boolean {
  return segment.startsWith('.hg') || segment.startsWith('.git');
}

/**
 * The files of one commit, immutable once built: a request resolves its ref to one snapshot and
 * reads only from it, so it can never see a mix of two versions.
 */
export class Snapshot {
  private readonly listings = new Map<string, Blob>();

  private constructor(
    readonly commit: string,
    readonly files: ReadonlyMap<string, TreeNode>,
    readonly dirs: ReadonlyMap<string, readonly DirEntry[]>,
    private readonly pool: BlobPool,
    readonly fileBytes: number,
  ) {}

  static build(commit: string, entries: readonly TarEntry[], pool: BlobPool, maxFileSize: number): Snapshot {
    const files = new Map<string, TreeNode>();
    let bytes = 0;
    for (const e of entries) {
      if (e.path.split('/').some(isHiddenVcsName)) continue;
      if (e.type === 'file') {
        bytes += e.data.length;
        files.set(e.path, e.data.length > maxFileSize ? { kind: 'too-large', size: e.data.length } : { kind: 'file', blob: pool.acquire(e.data, e.path), executable: e.executable });
      } else if (e.type === 'symlink') {
        files.set(e.path, { kind: 'symlink', target: e.target, blob: pool.acquire(Buffer.from(e.target, 'utf8'), e.path, 'text/plain; charset=utf-8') });
      }
    }
    return new Snapshot(commit, files, listDirectories(files), pool, bytes);
  }

  /** The JSON listing of directory `dir` ('' for the root), as a blob (ETag, compression). */
  listing(dir: string): Blob | undefined {
    const cached = this.listings.get(dir);
    if (cached) return cached;
    const entries = this.dirs.get(dir);
    if (!entries) return undefined;
    const body = Buffer.from(`${JSON.stringify({ commit: this.commit, path: dir === '' ? '/' : `/${dir}/`, entries }, null, 1)}\n`);
    const blob = this.pool.acquire(body, 'listing.json', 'application/json; charset=utf-8');
    this.listings.set(dir, blob);
    return blob;
  }

  /** Gives every blob back to the pool; the snapshot must not be used afterwards. */
  release(): void {
    for (const node of this.files.values()) if (node.kind !== 'too-large') this.pool.release(node.blob);
    for (const blob of this.listings.values()) this.pool.release(blob);
    this.listings.clear();
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
          size: node.kind === 'too-large' ? node.size : node.blob.data.length,
          hash: node.kind === 'too-large' ? '' : node.blob.hash,
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
