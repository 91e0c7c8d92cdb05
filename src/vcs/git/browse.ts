import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess } from '../process.js';
import { runWithByteArgs } from '../byte-args.js';
import { sortEntries, type ArchiveFormat, type CommitChanges, type ArchiveStream, type Blame, type BlameLine, type CommitInfo, type LogOptions, type RefInfo, type RefLabel, type RepoBrowser, type TreeEntry } from '../browse.js';
import { spawnArchiver } from '../archive-process.js';
import { cacheKey, changesThrough, isFullId, type ReadCaches } from '../read-caches.js';
import { refsStamp } from '../refs-stamp.js';
import { StampedValue } from '../stamped-value.js';
import { parseTree, type GitCatFile } from './cat-file.js';
import { decodeBytes } from '../../domain/byte-names.js';
import { BlameStore, splitLines } from '../blame-store.js';
import { gitBlame, gitBlameStoreDir, type GitBlameSource } from './blame.js';

const FS = '\x1f';
/** What a failed `git log` answers (no commits); never cached. */
const LOG_FAILED: readonly CommitInfo[] = Object.freeze([]);
const RS = '\x1e';

interface Refs {
  readonly branches: RefInfo[];
  readonly tags: RefInfo[];
  /** commit id → labels pointing at it */
  readonly labels: Map<string, RefLabel[]>;
}

/**
 * Reads a bare git repository: objects through a long-lived `git cat-file --batch`; the log,
 * blame and diffs through `git log` / `git blame` / `git diff-tree`, each run once per commit id
 * (and path) and kept in the shared read caches, since a commit id's history never changes. The
 * refs (`git for-each-ref`) are read again only when the refs stamp moves (a push, a sync).
 */
export class GitBrowser implements RepoBrowser {
  private readonly refsValue = new StampedValue<Refs>(() => refsStamp('git', this.dir));

  constructor(
    private readonly catFile: () => GitCatFile,
    private readonly dir: string,
    private readonly executable: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly caches: ReadCaches,
  ) {}

  /** Forgets the refs read so far (the repository was pushed to). */
  refsChanged(): void {
    this.refsValue.clear();
  }

  async defaultBranch(): Promise<string | undefined> {
    const { branches } = await this.refs();
    if (branches.length === 0) return undefined;
    let head = '';
    try {
      head = /^ref: refs\/heads\/(.+)$/m.exec(decodeBytes(readFileSync(join(this.dir, 'HEAD'))))?.[1] ?? '';
    } catch {
      /* no HEAD file: fall back to the first branch */
    }
    return (branches.find((b) => b.name === head) ?? branches[0])?.name;
  }

  async resolve(ref: string): Promise<string | undefined> {
    const { branches, tags } = await this.refs();
    const named = branches.find((r) => r.name === ref) ?? tags.find((r) => r.name === ref);
    if (named) return named.id;
    if (!/^[0-9a-f]{4,40}$/.test(ref)) return undefined;
    const obj = await this.catFile().read(`${ref}^{commit}`);
    return obj?.type === 'commit' ? obj.oid : undefined;
  }

  async refNames(): Promise<string[]> {
    const { branches, tags } = await this.refs();
    return [...branches, ...tags].map((r) => r.name);
  }

  async log(options: LogOptions): Promise<CommitInfo[]> {
    let revs: string[] = ['--branches', '--tags'];
    if (options.ref !== undefined) {
      const id = await this.resolve(options.ref);
      if (!id) return [];
      revs = [id];
    }
    if (options.path === undefined) return this.query([...revs, '--'], options);
    // A file's history follows renames (`--follow` takes one file); a directory's does not.
    const isFile = options.ref !== undefined && (await this.catFile().read(`${revs[0] as string}:${options.path}`))?.type === 'blob';
    return this.query([...(isFile ? ['--follow'] : []), ...revs, '--', options.path], options);
  }

  async between(base: string, head: string, options: { offset: number; limit: number }): Promise<CommitInfo[]> {
    if (!isFullId(base) || !isFullId(head)) return [];
    return this.query([`${base}..${head}`, '--'], options);
  }

  async compareDiff(base: string, head: string): Promise<Buffer> {
    return this.caches.diffs.through(cacheKey(this.dir, 'compare', base, head), async () => {
      const r = await runProcess(this.executable, ['merge-base', base, head], { cwd: this.dir, env: { ...this.env, GIT_DIR: this.dir }, allowFailure: true });
      const mergeBase = decodeBytes(r.stdout).trim();
      // Unrelated histories have no merge base: the diff is then the whole of head against nothing.
      const args = /^[0-9a-f]{40,64}$/.test(mergeBase) ? ['diff-tree', '-p', '-M', '--no-color', mergeBase, head] : ['diff-tree', '-p', '-M', '--no-color', '--root', head];
      return (await runProcess(this.executable, args, { cwd: this.dir, env: { ...this.env, GIT_DIR: this.dir } })).stdout;
    });
  }

  async blame(id: string, path: string): Promise<Blame | undefined> {
    if (path === '' || !isFullId(id) || (await this.catFile().read(`${id}:${path}`))?.type !== 'blob') return undefined;
    // `git blame` reads the whole history of the file: once per (commit, path), then from memory.
    return this.caches.blames.through(cacheKey(this.dir, 'blame', id, path), () => this.computeBlame(id, path));
  }

  private async computeBlame(id: string, path: string): Promise<Blame> {
    const [stored, blob] = await Promise.all([gitBlame(this.blameSource(), id, path), this.catFile().read(`${id}:${path}`)]);
    const text = splitLines(blob ? decodeBytes(blob.data) : '');
    const lines: BlameLine[] = text.map((t, i) => ({ commit: stored.commits[stored.lines[i] ?? -1]?.[0] ?? '', text: t }));
    return { lines, commits: new Map(stored.commits.map(([c, info]) => [c, info])) };
  }

  /** Ferry's blame store of this repository (`DIR/ferry-blame`, docs/operations.md) and how to read the repository. */
  private blameSource(): GitBlameSource {
    return {
      store: new BlameStore(gitBlameStoreDir(this.dir)),
      git: async (args) => (await runWithByteArgs(this.executable, args, { cwd: this.dir, env: { ...this.env, GIT_DIR: this.dir, GIT_LITERAL_PATHSPECS: '1' } })).stdout,
      read: (rev) => this.catFile().read(rev),
    };
  }

  archive(id: string, format: ArchiveFormat, prefix: string): ArchiveStream {
    return spawnArchiver(this.executable, ['archive', `--format=${format === 'zip' ? 'zip' : 'tar.gz'}`, `--prefix=${prefix}/`, id], { cwd: this.dir, env: { ...this.env, GIT_DIR: this.dir } });
  }

  /**
   * `git log` over `revs`, page by page. Revisions that are all full ids make the answer
   * immutable: kept per (revs, page) without labels; otherwise (every branch and tag) kept per
   * refs stamp. Labels come from the current refs on every call.
   */
  private async query(revs: readonly string[], options: { offset: number; limit: number }): Promise<CommitInfo[]> {
    const { value: refs, generation } = await this.refsValue.get(() => this.readRefs());
    // Callers pass full ids (resolved refs, `base..head` of full ids) or every branch and tag.
    const fixed = !revs.includes('--branches');
    const key = cacheKey(this.dir, 'log', fixed ? '' : (generation ?? ''), Math.trunc(options.offset), Math.trunc(options.limit), ...revs);
    const read = () => this.readLog(revs, options);
    const commits = fixed || generation !== undefined ? await this.caches.logs.through(key, read, (found) => found !== LOG_FAILED) : await read();
    return commits.map((c) => ({ ...c, labels: refs.labels.get(c.id) ?? [] }));
  }

  /** Commits without labels, or LOG_FAILED when git failed (a commit that went away). */
  private async readLog(revs: readonly string[], options: { offset: number; limit: number }): Promise<readonly CommitInfo[]> {
    const r = await runWithByteArgs(
      this.executable,
      ['log', '--date-order', `--format=%H${FS}%P${FS}%an${FS}%ae${FS}%aI${FS}%B${RS}`, `--skip=${Math.trunc(options.offset)}`, `-n${Math.trunc(options.limit)}`, ...revs],
      // A path is a path, never pathspec magic (`:(glob)…`, `:!…`).
      { cwd: this.dir, env: { ...this.env, GIT_DIR: this.dir, GIT_LITERAL_PATHSPECS: '1' }, allowFailure: true },
    );
    if (r.code !== 0) return LOG_FAILED;
    return decodeBytes(r.stdout)
      .split(RS)
      .map((s) => s.replace(/^\n/, ''))
      .filter((s) => s.length > 0)
      .map((rec) => {
        const [id, parents, author, email, date, message] = rec.split(FS) as string[];
        return {
          id: id as string,
          parents: (parents ?? '').split(' ').filter(Boolean),
          author: author ?? '',
          email: email ?? '',
          date: date ?? '',
          message: message ?? '',
          labels: [],
        };
      });
  }

  async commit(id: string): Promise<CommitInfo | undefined> {
    if (!/^[0-9a-f]{40,64}$/.test(id)) return undefined;
    const obj = await this.catFile().read(id);
    if (obj?.type !== 'commit') return undefined;
    const text = decodeBytes(obj.data);
    const split = text.indexOf('\n\n');
    const headers = split < 0 ? text : text.slice(0, split);
    const message = split < 0 ? '' : text.slice(split + 2);
    const parents: string[] = [];
    let author = '';
    let email = '';
    let date = '';
    for (const line of headers.split('\n')) {
      if (line.startsWith('parent ')) parents.push(line.slice(7));
      const m = /^author (.*) <([^>]*)> (\d+) ([+-]\d{4})$/.exec(line);
      if (m) {
        author = m[1] as string;
        email = m[2] as string;
        date = isoWithZone(Number(m[3]), m[4] as string);
      }
    }
    return { id: obj.oid, parents, author, email, date, message, labels: (await this.refs()).labels.get(obj.oid) ?? [] };
  }

  async diff(id: string): Promise<Buffer> {
    if (!isFullId(id)) return Buffer.alloc(0);
    return this.caches.diffs.through(cacheKey(this.dir, 'diff', id), () => this.computeDiff(id));
  }

  async changes(ids: readonly string[]): Promise<ReadonlyMap<string, CommitChanges>> {
    return changesThrough(this.caches, this.dir, ids, (missing) => this.readChanges(missing));
  }

  private async readChanges(ids: readonly string[]): Promise<ReadonlyMap<string, CommitChanges>> {
    const wanted = ids.filter(isFullId);
    if (wanted.length === 0) return new Map();
    // One `git log` for every commit: the raw records give each file's status, the numstat
    // records its line counts; both against the first parent (-M: renames, as `diff` finds them).
    const r = await runProcess(
      this.executable,
      ['log', '--no-walk=unsorted', '--diff-merges=first-parent', '-M', '--raw', '--numstat', '-z', `--format=${RS}%H`, ...wanted, '--'],
      { cwd: this.dir, env: { ...this.env, GIT_DIR: this.dir }, allowFailure: true },
    );
    return r.code === 0 ? parseRawNumstat(decodeBytes(r.stdout)) : new Map();
  }

  private async computeDiff(id: string): Promise<Buffer> {
    const commit = await this.commit(id);
    if (!commit) return Buffer.alloc(0);
    const args = commit.parents.length > 0 ? ['diff-tree', '-p', '-M', '--no-color', commit.parents[0] as string, id] : ['diff-tree', '-p', '-M', '--no-color', '--root', id];
    return (await runProcess(this.executable, args, { cwd: this.dir, env: { ...this.env, GIT_DIR: this.dir } })).stdout;
  }

  async tree(id: string, path: string): Promise<TreeEntry[] | undefined> {
    if (!isFullId(id)) return this.readTree(id, path);
    const key = cacheKey(this.dir, 'tree', id, path);
    const hit = this.caches.trees.get(key);
    if (hit) return [...hit];
    const entries = await this.readTree(id, path);
    if (entries) this.caches.trees.set(key, entries);
    return entries && [...entries];
  }

  private async readTree(id: string, path: string): Promise<TreeEntry[] | undefined> {
    const obj = await this.catFile().read(path === '' ? `${id}^{tree}` : `${id}:${path}`);
    if (obj?.type !== 'tree') return undefined;
    return sortEntries(
      parseTree(obj.data).map((e) => ({
        name: e.name,
        id: e.oid,
        type: e.mode === '40000' ? 'dir' : e.mode === '120000' ? 'link' : e.mode === '160000' ? 'submodule' : 'file',
      })),
    );
  }

  async blob(id: string, path: string): Promise<Buffer | undefined> {
    if (path === '') return undefined;
    const obj = await this.catFile().read(`${id}:${path}`);
    return obj?.type === 'blob' ? obj.data : undefined;
  }

  async branches(): Promise<RefInfo[]> {
    return (await this.refs()).branches;
  }

  async tags(): Promise<RefInfo[]> {
    return (await this.refs()).tags;
  }

  private async refs(): Promise<Refs> {
    return (await this.refsValue.get(() => this.readRefs())).value;
  }

  private async readRefs(): Promise<Refs> {
    const r = await runProcess(
      this.executable,
      ['for-each-ref', `--format=%(refname)${FS}%(objectname)${FS}%(*objectname)${FS}%(creatordate:iso-strict)${FS}%(contents:subject)${RS}`, 'refs/heads', 'refs/tags'],
      { cwd: this.dir, env: { ...this.env, GIT_DIR: this.dir } },
    );
    const branches: RefInfo[] = [];
    const tags: RefInfo[] = [];
    const labels = new Map<string, RefLabel[]>();
    for (const rec of decodeBytes(r.stdout).split(RS)) {
      const [ref, oid, peeled, date, summary] = rec.replace(/^\n/, '').split(FS);
      if (!ref || !oid) continue;
      const id = peeled || oid;
      const isBranch = ref.startsWith('refs/heads/');
      const name = ref.replace(/^refs\/(heads|tags)\//, '');
      (isBranch ? branches : tags).push({ name, id, date: date ?? '', summary: summary ?? '' });
      labels.set(id, [...(labels.get(id) ?? []), { kind: isBranch ? 'branch' : 'tag', name }]);
    }
    return { branches, tags, labels };
  }
}

const RAW_STATUS: Record<string, CommitChanges['files'][number]['status']> = { A: 'added', D: 'deleted', M: 'modified', T: 'modified', R: 'renamed', C: 'copied' };

/**
 * Parses `git log --raw --numstat -z --format=RS%H`: per commit, its id, then NUL-separated raw
 * records (`:MODES OIDS STATUS`, then the path, or for R/C the old and the new path) and numstat
 * records (`ADD TAB DEL TAB PATH`, or with an empty path the old and the new path; `-` for binary).
 */
export function parseRawNumstat(text: string): Map<string, CommitChanges> {
  const out = new Map<string, CommitChanges>();
  for (const chunk of text.split(RS)) {
    const tokens = chunk.split('\0').map((t) => t.replace(/^\n+/, ''));
    const id = tokens[0] ?? '';
    if (!isFullId(id)) continue;
    const files = new Map<string, CommitChanges['files'][number]['status']>();
    let additions = 0;
    let deletions = 0;
    for (let i = 1; i < tokens.length; i++) {
      const t = tokens[i] as string;
      if (t.startsWith(':')) {
        const letter = t.slice(t.lastIndexOf(' ') + 1, t.lastIndexOf(' ') + 2);
        const twoPaths = letter === 'R' || letter === 'C';
        const path = tokens[twoPaths ? i + 2 : i + 1] ?? '';
        i += twoPaths ? 2 : 1;
        files.set(path, RAW_STATUS[letter] ?? 'modified');
        continue;
      }
      const m = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(t);
      if (!m) continue;
      if (m[3] === '') i += 2;
      if (m[1] !== '-') additions += Number(m[1]);
      if (m[2] !== '-') deletions += Number(m[2]);
    }
    out.set(id, { files: [...files].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([path, status]) => ({ path, status })), additions, deletions });
  }
  return out;
}

function isoWithZone(seconds: number, zone: string): string {
  const sign = zone.startsWith('-') ? -1 : 1;
  const offsetMin = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  const local = new Date((seconds + offsetMin * 60) * 1000).toISOString().slice(0, 19);
  return `${local}${zone.slice(0, 3)}:${zone.slice(3)}`;
}
