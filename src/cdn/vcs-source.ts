import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { FerryError } from '../domain/errors.js';
import { parseLfsPointer } from '../lfs/pointer.js';
import { STANDIN_DIR, standinHash, storedLargefile } from '../vcs/hg/largefiles.js';
import type { RepoKind } from '../domain/repo-kind.js';
import { repoFingerprint } from '../vcs/fingerprint.js';
import { TOPIC_REF_PREFIX } from '../vcs/hg/browse.js';
import { runProcess } from '../vcs/process.js';
import { GitCatFilePool } from '../vcs/git/cat-file.js';
import { HgCommandServerPool } from '../vcs/hg/command-server.js';
import { decodeBytes } from '../domain/byte-names.js';

export interface Program {
  readonly executable: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Long-lived readers (git cat-file, hg command servers) kept per VCS, one per repository. */
const HELPERS_PER_KIND = 8;
const HELPER_IDLE_MS = 60_000;

/** What the CDN reads from a repository: its refs, commit ids, and the tree of one commit. */
export interface RefTable {
  readonly branches: ReadonlyMap<string, string>;
  readonly tags: ReadonlyMap<string, string>;
  readonly defaultBranch: string;
}

/** One file of a commit, as listed (its contents are read on demand). */
export interface TreeEntry {
  readonly path: string;
  readonly type: 'file' | 'symlink';
  readonly executable: boolean;
  /** Bytes (a symlink's: its target's length). */
  readonly size: number;
  /** The file's object id (git blob id, hg file node): the same id always names the same bytes. */
  readonly id: string;
}

export interface RepoSource {
  readonly kind: RepoKind;
  readonly dir: string;
  /** The stored Git LFS object of this repo with that oid (its file), or undefined (git only). */
  readonly lfsObject?: (oid: string) => string | undefined;
}

/** Ids of hg largefiles in a CDN tree: `lf` + the file's SHA-1 (the same id always names the same bytes). */
const LARGEFILE_ID = /^lf([0-9a-f]{40})$/;

/** Reads repositories with as few process starts as each VCS allows (one per question, or a long-lived helper). */
export class VcsReader {
  private readonly catFiles: GitCatFilePool;
  private readonly commandServers: HgCommandServerPool;
  private closed = false;

  constructor(private readonly programs: Readonly<Record<RepoKind, Program>>) {
    // Each CDN worker has its own: few, and closed after a minute unused (an hg command server is a
    // Python process of some 40 MB, outside the memory budget).
    this.catFiles = new GitCatFilePool(programs.git.executable, programs.git.env, HELPERS_PER_KIND, HELPER_IDLE_MS);
    this.commandServers = new HgCommandServerPool(programs.hg.executable, programs.hg.env, HELPERS_PER_KIND, HELPER_IDLE_MS);
  }

  async refs(repo: RepoSource): Promise<RefTable> {
    return repo.kind === 'git' ? this.gitRefs(repo.dir) : this.hgRefs(repo.dir);
  }

  /**
   * A cheap summary of the files that change when refs move (no process): lets the CDN notice
   * changes made behind Ferry's back (an admin pushing straight into the directory).
   */
  fingerprint(repo: RepoSource): Promise<string> {
    return repoFingerprint(repo.kind, repo.dir);
  }

  /** The full id of a commit given by a full or abbreviated hex id, or undefined. */
  async commitId(repo: RepoSource, hex: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{4,64}$/.test(hex)) return undefined;
    const p = this.programs[repo.kind];
    const r =
      repo.kind === 'git'
        ? await runProcess(p.executable, ['-C', repo.dir, 'rev-parse', '--verify', '--quiet', `${hex}^{commit}`], { env: p.env, allowFailure: true })
        : await runProcess(p.executable, ['-R', repo.dir, 'log', '-r', `id(${hex})`, '-T', '{node}'], { env: p.env, allowFailure: true });
    const id = decodeBytes(r.stdout).trim();
    // hg's id() matches a prefix of the null revision (`0000`): that is no commit, nothing to serve.
    return r.code === 0 && /^[0-9a-f]{40,64}$/.test(id) && !/^0+$/.test(id) ? id : undefined;
  }

  /**
   * Every file of `commit` with its size and object id, without reading any contents (`git ls-tree
   * -r -l` / `hg manifest`): what a snapshot holds, however big the tree. Submodules are left out.
   */
  async listTree(repo: RepoSource, commit: string): Promise<TreeEntry[]> {
    const p = this.programs[repo.kind];
    if (repo.kind === 'git') {
      const r = await runProcess(p.executable, ['-C', repo.dir, 'ls-tree', '-r', '-l', '-z', '--full-tree', commit], { env: p.env });
      return parseLsTree(r.stdout);
    }
    const r = await runProcess(p.executable, ['-R', repo.dir, 'manifest', '-r', commit, '-T', '{hash}\\t{type}\\t{size}\\t{path}\\0'], { env: p.env });
    const entries = parseHgManifest(r.stdout);
    return entries.some((e) => e.path.startsWith(STANDIN_DIR)) ? this.withLargefiles(repo, commit, entries) : entries;
  }

  /**
   * hg largefiles: each standin `.hglf/PATH` becomes the file PATH with the large file's size and
   * id, so the CDN serves the content, not the hash (read from `.hg/largefiles`; the standin itself
   * when the repo does not hold the file).
   */
  private async withLargefiles(repo: RepoSource, commit: string, entries: TreeEntry[]): Promise<TreeEntry[]> {
    const p = this.programs.hg;
    const r = await runProcess(p.executable, ['-R', repo.dir, 'cat', '-r', commit, '-T', '{path}\\t{data}\\0', '--', `path:${STANDIN_DIR.slice(0, -1)}`], { env: p.env });
    const hashes = new Map<string, string>();
    for (const record of decodeBytes(r.stdout).split('\0')) {
      const tab = record.indexOf('\t');
      const hash = tab < 0 ? undefined : standinHash(Buffer.from(record.slice(tab + 1)));
      if (hash) hashes.set(record.slice(0, tab), hash);
    }
    return entries.map((e) => {
      const hash = hashes.get(e.path);
      if (!hash) return e;
      const stored = storedLargefile(repo.dir, hash);
      return { ...e, path: e.path.slice(STANDIN_DIR.length), id: `lf${hash}`, size: stored ? statSync(stored).size : e.size };
    });
  }

  /**
   * The bytes of one file of `commit` exactly as committed: no `.gitattributes` (eol, export-subst,
   * filters) and no hg encode/decode filters, which `git archive` and `hg archive` would apply.
   * Read by a long-lived `git cat-file --batch` / hg command server per repository.
   */
  async readFile(repo: RepoSource, commit: string, entry: Pick<TreeEntry, 'id' | 'path'>): Promise<Buffer> {
    try {
      return await this.readOnce(repo, commit, entry);
    } catch (err) {
      // A helper closed under the read (the pool made room for another repository's): once more.
      if (err instanceof FerryError && err.code === 'FERRY_SHUTTING_DOWN' && !this.closed) return this.readOnce(repo, commit, entry);
      throw err;
    }
  }

  private async readOnce(repo: RepoSource, commit: string, entry: Pick<TreeEntry, 'id' | 'path'>): Promise<Buffer> {
    if (repo.kind === 'git') {
      const object = await this.catFiles.get(repo.dir).read(entry.id);
      if (!object || object.type !== 'blob') throw new FerryError('FERRY_VCS_FAILED', `git object ${entry.id} (${entry.path}) is missing`);
      // A Git LFS pointer: the object it names, when this repo holds it (else the pointer).
      const pointer = parseLfsPointer(object.data);
      const file = pointer && repo.lfsObject?.(pointer.oid);
      return file ? readFile(file) : object.data;
    }
    const largefile = LARGEFILE_ID.exec(entry.id)?.[1];
    if (largefile) {
      const stored = storedLargefile(repo.dir, largefile);
      return stored ? readFile(stored) : Buffer.from(`${largefile}\n`);
    }
    return this.commandServers.get(repo.dir).runOk(['cat', '-r', commit, '--', `path:${entry.path}`]);
  }

  /** Stops the helper processes of a repository that was removed or moved. */
  drop(dir: string): void {
    this.catFiles.drop(dir);
    this.commandServers.drop(dir);
  }

  close(): void {
    this.closed = true;
    this.catFiles.close();
    this.commandServers.close();
  }

  private async gitRefs(dir: string): Promise<RefTable> {
    const p = this.programs.git;
    const [list, head] = await Promise.all([
      runProcess(p.executable, ['-C', dir, 'for-each-ref', '--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname) %(refname)', 'refs/heads', 'refs/tags'], { env: p.env }),
      runProcess(p.executable, ['-C', dir, 'symbolic-ref', '--quiet', 'HEAD'], { env: p.env, allowFailure: true }),
    ]);
    const branches = new Map<string, string>();
    const tags = new Map<string, string>();
    for (const line of decodeBytes(list.stdout).split('\n')) {
      const m = /^(\w+) ([0-9a-f]+) (\w*) ([0-9a-f]*) refs\/(heads|tags)\/(.+)$/.exec(line);
      if (!m) continue;
      const [, type, id, peeledType, peeled, where, name] = m as unknown as [string, string, string, string, string, string, string];
      const commit = type === 'commit' ? id : peeledType === 'commit' ? peeled : undefined;
      if (commit) (where === 'heads' ? branches : tags).set(name, commit);
    }
    const headRef = decodeBytes(head.stdout).trim();
    const defaultBranch = headRef.startsWith('refs/heads/') ? headRef.slice('refs/heads/'.length) : 'main';
    return { branches, tags, defaultBranch };
  }

  /**
   * Named branches (each at its tipmost open head outside topics), bookmarks, tags, and evolve
   * topics as `topic/NAME` (at the topic's tipmost head): mutable refs, like branches.
   */
  private async hgRefs(dir: string): Promise<RefTable> {
    const p = this.programs.hg;
    const template = '{node}\\t{branch}\\t{join(tags, "\\x01")}\\t{join(bookmarks, "\\x01")}\\t{ifcontains(rev, revset("head() and not closed()"), "H", "-")}\\t{rev}\\t{topic}\\n';
    const r = await runProcess(p.executable, ['-R', dir, 'log', '-r', 'head() or tag() or bookmark()', '-T', template], { env: p.env });
    const branches = new Map<string, string>();
    const tags = new Map<string, string>();
    const branchRev = new Map<string, number>();
    const bookmarks = new Map<string, string>();
    const topics = new Map<string, { node: string; rev: number }>();
    for (const line of decodeBytes(r.stdout).split('\n')) {
      const [node, branch, tagList, bookmarkList, head, rev, topic] = line.split('\t');
      if (!node || !branch || rev === undefined) continue;
      for (const t of (tagList ?? '').split('\x01')) if (t && t !== 'tip') tags.set(t, node);
      for (const b of (bookmarkList ?? '').split('\x01')) if (b) bookmarks.set(b, node);
      if (topic) {
        if (head === 'H' && Number(rev) > (topics.get(topic)?.rev ?? -1)) topics.set(topic, { node, rev: Number(rev) });
        continue;
      }
      // A named branch serves its tipmost open head (what `hg update BRANCH` picks).
      if (head === 'H' && Number(rev) > (branchRev.get(branch) ?? -1)) {
        branchRev.set(branch, Number(rev));
        branches.set(branch, node);
      }
    }
    for (const [name, node] of bookmarks) if (!branches.has(name)) branches.set(name, node);
    for (const [name, { node }] of topics) if (!branches.has(`${TOPIC_REF_PREFIX}${name}`)) branches.set(`${TOPIC_REF_PREFIX}${name}`, node);
    return { branches, tags, defaultBranch: 'default' };
  }
}

/** `git ls-tree -r -l -z`: `<mode> <type> <id> <size>\t<path>\0` per entry. */
export function parseLsTree(out: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of decodeBytes(out).split('\0')) {
    const m = /^(\d+) (blob) ([0-9a-f]{40,64}) +(\d+)\t(.+)$/s.exec(record);
    if (!m) continue; // submodules (commit), and the empty string after the last NUL
    const mode = m[1] as string;
    entries.push({ path: m[5] as string, type: mode === '120000' ? 'symlink' : 'file', executable: mode === '100755', size: Number(m[4]), id: m[3] as string });
  }
  return entries;
}

/**
 * `hg manifest -T '{hash}\t{type}\t{size}\t{path}\0'` (type: `@` symlink, `*` executable, a
 * space otherwise, as `hg manifest -v` prints it; the manifest formatter has no `{flags}`).
 */
export function parseHgManifest(out: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of decodeBytes(out).split('\0')) {
    const [id, type, size, path] = record.split('\t');
    if (!id || type === undefined || size === undefined || !path) continue;
    entries.push({ path, type: type === '@' ? 'symlink' : 'file', executable: type === '*', size: Number(size), id });
  }
  return entries;
}
