import { FerryError } from '../../domain/errors.js';
import { sortEntries, type ArchiveFormat, type CommitChanges, type ArchiveStream, type Blame, type BlameLine, type CommitInfo, type LogOptions, type RefInfo, type RefLabel, type RepoBrowser, type TreeEntry } from '../browse.js';
import { spawnArchiver } from '../archive-process.js';
import { cacheKey, changesThrough, isFullId, type ReadCaches } from '../read-caches.js';
import { refsStamp } from '../refs-stamp.js';
import { StampedValue } from '../stamped-value.js';
import type { HgCommandServer } from './command-server.js';
import { decodeBytes } from '../../domain/byte-names.js';
import { BlameStore, splitLines } from '../blame-store.js';
import { join } from 'node:path';

const FS = '\x1f';
const RS = '\x1e';
const LS = '\x1d';
const GS = '\x1c';
const NULL_ID = '0000000000000000000000000000000000000000';
/** Resolved ids kept per repository and refs generation (then started afresh). */
const MAX_RESOLVED = 4096;

function commitTemplate(topics: boolean): string {
  return [
    '{node}',
    '{p1.node}',
    '{p2.node}',
    '{author|person}',
    '{author|email}',
    '{date|rfc3339date}',
    '{branch}',
    `{join(tags,'${LS}')}`,
    `{join(bookmarks,'${LS}')}`,
    '{phase}',
    topics ? '{topic}' : '',
    "{get(extras, 'close')}",
    '{desc}',
  ].join(FS) + RS;
}

interface Refs {
  readonly branches: RefInfo[];
  readonly tags: RefInfo[];
  readonly bookmarks: RefInfo[];
  /** Evolve topics, each at its tipmost head, named `topic/NAME` (as the CDN names them). */
  readonly topics: RefInfo[];
}

/** Where Ferry keeps the blame store of the hg repository DIR (written by its ferry-blame extension, src/vcs/hg/fast-blame.ts). */
export function hgBlameStoreDir(dir: string): string {
  return join(dir, '.hg', 'ferry-blame');
}

/** How an evolve topic NAME is named as a ref in URLs, web views and the CDN alike: `topic/NAME` (`/cdn/PATH@topic/NAME/FILE`). */
export const TOPIC_REF_PREFIX = 'topic/';

interface JsonBranch { branch: string; node: string; closed: boolean; active: boolean }
interface JsonTag { tag: string; node: string; type: string }
interface JsonBookmark { bookmark: string; node: string }

/**
 * Reads a Mercurial repository through its command server. Refs, and the logs labelled from
 * them, are cached until the changelog, bookmarks, phases or obsolescence markers change on disk
 * (the refs stamp); manifests, directory listings, file contents, diffs and annotations are cached per changeset
 * (they never change) in the shared, size-bounded read caches.
 */
export class HgBrowser implements RepoBrowser {
  private readonly refsValue = new StampedValue<Refs>(() => refsStamp('hg', this.dir));
  private hasTopics: boolean | undefined;
  /** Commit ids (and prefixes, `tip`) resolved under one refs generation. */
  private resolved: { readonly generation: string; readonly ids: Map<string, string | undefined> } | undefined;

  constructor(
    private readonly server: () => HgCommandServer,
    private readonly dir: string,
    private readonly caches: ReadCaches,
    /** For processes that stream (archives); everything else goes through the command server. */
    private readonly hg: { readonly executable: string; readonly env: NodeJS.ProcessEnv } = { executable: 'hg', env: process.env },
  ) {}

  /** Forgets the refs read so far (the repository was pushed to). */
  refsChanged(): void {
    this.refsValue.clear();
    this.resolved = undefined;
  }

  async defaultBranch(): Promise<string | undefined> {
    const { branches } = await this.refs();
    if (branches.length === 0) return undefined;
    return (branches.find((b) => b.name === 'default' && !b.closed) ?? branches.find((b) => !b.closed) ?? branches[0])?.name;
  }

  async resolve(ref: string): Promise<string | undefined> {
    const { value: refs, generation } = await this.refsValue.get(() => this.readRefs());
    const { branches, tags, bookmarks, topics } = refs;
    const named = bookmarks.find((r) => r.name === ref) ?? tags.find((r) => r.name === ref) ?? branches.find((r) => r.name === ref) ?? topics.find((r) => r.name === ref);
    if (named) return named.id;
    if (!/^[0-9a-f]{4,40}$/.test(ref) && ref !== 'tip') return undefined;
    // What an id (prefix) names changes only with the changelog, phases or obsolescence markers,
    // all in the refs stamp: answers are kept for the stamp's generation, not a process per page.
    const known = generation !== undefined && this.resolved?.generation === generation ? this.resolved.ids : undefined;
    if (known?.has(ref)) return known.get(ref);
    const r = await this.server().run(['log', '-r', ref === 'tip' ? 'tip' : `id(${ref})`, '-T', '{node}']);
    const id = decodeBytes(r.out).trim();
    // The null revision (what `0000` and an empty repo's tip name) is no commit.
    const found = r.code === 0 && /^[0-9a-f]{40}$/.test(id) && !/^0+$/.test(id) ? id : undefined;
    if (generation !== undefined && r.code === 0) {
      if (this.resolved?.generation !== generation || this.resolved.ids.size >= MAX_RESOLVED) this.resolved = { generation, ids: new Map() };
      this.resolved.ids.set(ref, found);
    }
    return found;
  }

  async refNames(): Promise<string[]> {
    const { branches, tags, bookmarks, topics } = await this.refs();
    return [...branches, ...tags, ...bookmarks, ...topics].map((r) => r.name);
  }

  async log(options: LogOptions): Promise<CommitInfo[]> {
    let set = 'all()';
    let start = 'tip';
    if (options.ref !== undefined) {
      const id = await this.resolve(options.ref);
      if (!id) return [];
      start = id;
      const { branches, tags, bookmarks } = await this.refs();
      const isNamedBranch = branches.some((b) => b.name === options.ref) && !bookmarks.some((b) => b.name === options.ref) && !tags.some((t) => t.name === options.ref);
      // `branch(ID)`: the changesets on ID's named branch (hg help revsets), as `hg log -b NAME`.
      set = isNamedBranch ? `ancestors(${id}) and branch(${id})` : `ancestors(${id})`;
    }
    if (options.path !== undefined) {
      if (options.ref === undefined && (await this.resolve('tip')) === undefined) return [];
      // `follow(PATTERN, REV)`: the ancestors of REV that touch the file or directory, across copies and renames.
      set = `(${set}) and follow(${revsetString(`path:${options.path}`)}, ${start})`;
    }
    return this.query(`limit(reverse(${set}), ${Math.trunc(options.limit)}, ${Math.trunc(options.offset)})`);
  }

  async between(base: string, head: string, options: { offset: number; limit: number }): Promise<CommitInfo[]> {
    if (!/^[0-9a-f]{40}$/.test(base) || !/^[0-9a-f]{40}$/.test(head)) return [];
    return this.query(`limit(reverse(only(${head}, ${base})), ${Math.trunc(options.limit)}, ${Math.trunc(options.offset)})`);
  }

  async compareDiff(base: string, head: string): Promise<Buffer> {
    if (!/^[0-9a-f]{40}$/.test(base) || !/^[0-9a-f]{40}$/.test(head)) return Buffer.alloc(0);
    // From the common ancestor, as git's `base...head`; unrelated heads compare against the null revision.
    return this.caches.diffs.through(cacheKey(this.dir, 'compare', base, head), () => this.server().runOk(['diff', '--git', '--from', `max(ancestor(${base}, ${head}) or null)`, '--to', head]));
  }

  async blame(id: string, path: string): Promise<Blame | undefined> {
    if (!/^[0-9a-f]{40}$/.test(id) || !(await this.manifest(id)).has(path)) return undefined;
    // Ferry's `ferry-blame` (src/vcs/hg/fast-blame.ts) reads fastannotate's linelog cache on disk
    // for the main branch and gives `hg annotate`'s answer elsewhere; once per (changeset, path),
    // then from memory.
    return this.caches.blames.through(cacheKey(this.dir, 'blame', id, path), () => this.computeBlame(id, path));
  }

  private async computeBlame(id: string, path: string): Promise<Blame> {
    // Stored on disk by an earlier `ferry-blame` or by housekeeping's `ferry-blame-warm` (even
    // before a restart): the file's text is all that is read from hg.
    const store = new BlameStore(hgBlameStoreDir(this.dir));
    const stored = store.read(id, path);
    if (stored) {
      const text = splitLines(decodeBytes((await this.blob(id, path)) ?? Buffer.alloc(0)));
      if (text.length === stored.lines.length) {
        return { lines: text.map((t, i) => ({ commit: stored.commits[stored.lines[i] as number]?.[0] ?? '', text: t.replace(/\r$/, '') })), commits: new Map(stored.commits.map(([c, info]) => [c, info])) };
      }
    }
    // The annotated lines, then (after a GS) what each changeset named is: one command.
    const out = decodeBytes(await this.server().runOk(['ferry-blame', '--', id, path]));
    store.wrote();
    const split = out.lastIndexOf(GS);
    const lines: BlameLine[] = [];
    for (const rec of (split < 0 ? out : out.slice(0, split)).split(RS)) {
      const [rev, node, text] = rec.split(FS);
      if (rev === undefined || node === undefined || text === undefined) continue;
      lines.push({ commit: node, text: text.replace(/\r?\n$/, '') });
    }
    const commits = new Map<string, { author: string; date: string; summary: string }>();
    for (const rec of split < 0 ? [] : out.slice(split + 1).split(RS)) {
      const [node, author, date, summary] = rec.split(FS);
      if (node) commits.set(node, { author: author ?? '', date: date ?? '', summary: summary ?? '' });
    }
    return { lines, commits };
  }

  archive(id: string, format: ArchiveFormat, prefix: string): ArchiveStream {
    // `-` as the destination writes the archive to stdout (hg help archive).
    return spawnArchiver(this.hg.executable, ['-R', this.dir, 'archive', '-r', id, '-t', format === 'zip' ? 'zip' : 'tgz', '-p', prefix, '--', '-'], { cwd: this.dir, env: this.hg.env });
  }

  async commit(id: string): Promise<CommitInfo | undefined> {
    if (!/^[0-9a-f]{40}$/.test(id)) return undefined;
    return (await this.query(id))[0];
  }

  async diff(id: string): Promise<Buffer> {
    if (!/^[0-9a-f]{40}$/.test(id)) return Buffer.alloc(0);
    return this.caches.diffs.through(cacheKey(this.dir, 'diff', id), () => this.server().runOk(['diff', '--git', '-c', id]));
  }

  async changes(ids: readonly string[]): Promise<ReadonlyMap<string, CommitChanges>> {
    return changesThrough(this.caches, this.dir, ids, (missing) => this.readChanges(missing));
  }

  private async readChanges(ids: readonly string[]): Promise<ReadonlyMap<string, CommitChanges>> {
    const wanted = ids.filter((id) => /^[0-9a-f]{40}$/.test(id));
    if (wanted.length === 0) return new Map();
    // One `hg log` for every changeset: the template names the files by status (against the first
    // parent, as `hg diff -c`), and `--stat --git` appends the diffstat whose last line totals the
    // lines. One `-r` per id: hg joins them (scmutil.revrange); an unknown id fails them all.
    // A merge's file_adds/file_dels/file_mods come from its changelog entry's file list (hg 5.4+
    // `ctx.filesadded()`…), which names only files the merge itself changed against both parents
    // — empty for a clean merge — so a merge's files are read with `hg status --change` (against
    // the first parent, `hg help status`), as its diffstat is.
    const template = `${RS}{node}${FS}{p2rev}${FS}{join(file_adds,'${LS}')}${FS}{join(file_dels,'${LS}')}${FS}{join(file_mods,'${LS}')}${FS}{join(file_copies % '{name}${GS}{source}','${LS}')}${FS}`;
    const r = await this.server().run(['log', '--stat', '--git', ...wanted.flatMap((id) => ['-r', id]), '-T', template]);
    if (r.code !== 0) return new Map();
    const out = new Map<string, CommitChanges>();
    for (const rec of decodeBytes(r.out).split(RS)) {
      const [node, p2rev, logAdds, logDels, logMods, logCopies, stat] = rec.split(FS);
      if (node === undefined || !/^[0-9a-f]{40}$/.test(node)) continue;
      const [adds, dels, mods, copies] = p2rev !== undefined && p2rev !== '-1' ? await this.statusAgainstFirstParent(node) : [logAdds, logDels, logMods, logCopies];
      const list = (s: string | undefined): string[] => (s ? s.split(LS) : []);
      const files = new Map<string, CommitChanges['files'][number]['status']>();
      for (const f of list(mods)) files.set(f, 'modified');
      for (const f of list(adds)) files.set(f, 'added');
      const deleted = new Set(list(dels));
      for (const pair of list(copies)) {
        const [name = '', source = ''] = pair.split(GS);
        // A copy whose source went away is a rename (as `hg diff --git` prints it).
        const renamed = deleted.delete(source);
        files.set(name, renamed ? 'renamed' : 'copied');
      }
      for (const f of deleted) files.set(f, 'deleted');
      const totals = /(\d+) insertions?\(\+\), (\d+) deletions?\(-\)/.exec(stat ?? '');
      out.set(node, {
        files: [...files].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([path, status]) => ({ path, status })),
        additions: Number(totals?.[1] ?? 0),
        deletions: Number(totals?.[2] ?? 0),
      });
    }
    return out;
  }

  /**
   * A changeset's files against its first parent, from `hg status --change NODE --copies` (its
   * `{source}` is a copy's source), in the shape of readChanges' template fields: added, removed,
   * modified (each LS-joined) and copies (`NAME GS SOURCE`, LS-joined). Empty when hg fails.
   */
  private async statusAgainstFirstParent(node: string): Promise<[string, string, string, string]> {
    const r = await this.server().run(['status', '--change', node, '--copies', '-T', `{status}${FS}{path}${FS}{source}${RS}`]);
    const adds: string[] = [];
    const dels: string[] = [];
    const mods: string[] = [];
    const copies: string[] = [];
    if (r.code === 0) {
      for (const rec of decodeBytes(r.out).split(RS)) {
        const [status, path = '', source = ''] = rec.split(FS);
        if (status === 'A') (source ? copies.push(`${path}${GS}${source}`) : adds.push(path));
        else if (status === 'R') dels.push(path);
        else if (status === 'M') mods.push(path);
      }
    }
    return [adds.join(LS), dels.join(LS), mods.join(LS), copies.join(LS)];
  }

  async tree(id: string, path: string): Promise<TreeEntry[] | undefined> {
    if (!isFullId(id)) return this.listTree(id, path);
    const key = cacheKey(this.dir, 'tree', id, path);
    const hit = this.caches.trees.get(key);
    if (hit) return [...hit];
    const entries = await this.listTree(id, path);
    if (entries) this.caches.trees.set(key, entries);
    return entries && [...entries];
  }

  private async listTree(id: string, path: string): Promise<TreeEntry[] | undefined> {
    const files = await this.manifest(id);
    const prefix = path === '' ? '' : `${path}/`;
    const seen = new Map<string, TreeEntry>();
    for (const [f, link] of files) {
      if (!f.startsWith(prefix)) continue;
      const rest = f.slice(prefix.length);
      const slash = rest.indexOf('/');
      const name = slash < 0 ? rest : rest.slice(0, slash);
      if (!seen.has(name)) seen.set(name, { name, type: slash >= 0 ? 'dir' : link ? 'link' : 'file' });
    }
    if (seen.size === 0 && path !== '') return undefined;
    return sortEntries([...seen.values()]);
  }

  async blob(id: string, path: string): Promise<Buffer | undefined> {
    // A symlink's blob is its target text (as git's), never the file it points to.
    if (!(await this.manifest(id)).has(path)) return undefined;
    const read = () => this.server().runOk(['cat', '-r', id, '--', `path:${path}`]);
    // A file at a changeset never changes: one `hg cat` per (changeset, path), then from memory.
    return isFullId(id) ? this.caches.blobs.through(cacheKey(this.dir, 'blob', id, path), read) : read();
  }

  async branches(): Promise<RefInfo[]> {
    return (await this.refs()).branches;
  }

  async tags(): Promise<RefInfo[]> {
    return (await this.refs()).tags;
  }

  /** Topics (draft work in progress) show with branches on the branches page. */
  async topics(): Promise<RefInfo[]> {
    return (await this.refs()).topics;
  }

  /** Bookmarks show with branches on the branches page. */
  async bookmarks(): Promise<RefInfo[]> {
    return (await this.refs()).bookmarks;
  }

  /** Every file path at a changeset, mapped to whether it is a symlink (hg's `l` flag). */
  private async manifest(id: string): Promise<ReadonlyMap<string, boolean>> {
    if (!isFullId(id)) return this.readManifest(id);
    return this.caches.manifests.through(cacheKey(this.dir, 'manifest', id), () => this.readManifest(id));
  }

  private async readManifest(id: string): Promise<ReadonlyMap<string, boolean>> {
    // `hg files` exits 1 when nothing matches: a commit that removed every file has an empty tree.
    const r = await this.server().run(['files', '-r', id, '-T', '{flags}/{path}\\0']);
    if (r.code !== 0 && !(r.code === 1 && r.out.length === 0)) throw new FerryError('FERRY_VCS_FAILED', `hg files failed: exit ${r.code}`);
    const files = new Map<string, boolean>();
    for (const entry of decodeBytes(r.out).split('\0')) {
      const slash = entry.indexOf('/');
      if (slash >= 0) files.set(entry.slice(slash + 1), entry.slice(0, slash).includes('l'));
    }
    return files;
  }

  /**
   * Changesets of a revset, labelled (branch, topic, bookmarks, tags, phase). The labels move
   * with the refs, so the answer is kept per refs stamp (and revset), not for ever.
   */
  private async query(revset: string): Promise<CommitInfo[]> {
    const { generation } = await this.refsValue.get(() => this.readRefs());
    if (generation === undefined) return this.readQuery(revset);
    return [...(await this.caches.logs.through(cacheKey(this.dir, 'log', generation, revset), () => this.readQuery(revset)))];
  }

  private async readQuery(revset: string): Promise<CommitInfo[]> {
    if (this.hasTopics === undefined) {
      const probe = await this.server().run(['log', '-r', 'null', '-T', '{topic}']);
      this.hasTopics = probe.code === 0;
    }
    const out = await this.server().runOk(['log', '-r', revset, '-T', commitTemplate(this.hasTopics)]);
    return decodeBytes(out)
      .split(RS)
      .filter((r) => r.length > 0)
      .map((record) => {
        const [node, p1, p2, author, email, date, branch, tags, bookmarks, phase, topic, close, desc] = record.split(FS) as string[];
        const labels: RefLabel[] = [];
        labels.push({ kind: 'branch', name: branch ?? 'default' });
        if (topic) labels.push({ kind: 'topic', name: topic });
        for (const b of (bookmarks ?? '').split(LS).filter(Boolean)) labels.push({ kind: 'bookmark', name: b });
        for (const t of (tags ?? '').split(LS).filter(Boolean)) if (t !== 'tip') labels.push({ kind: 'tag', name: t });
        if (phase && phase !== 'public') labels.push({ kind: 'phase', name: phase });
        return {
          id: node as string,
          parents: [p1, p2].filter((p): p is string => p !== undefined && p !== NULL_ID && p !== ''),
          author: author ?? '',
          email: email ?? '',
          date: date ?? '',
          message: desc ?? '',
          labels,
          ...(close ? { closesBranch: true } : {}),
        };
      });
  }

  private async refs(): Promise<Refs> {
    return (await this.refsValue.get(() => this.readRefs())).value;
  }

  private async readRefs(): Promise<Refs> {
    const server = this.server();
    const [b, t, m] = await Promise.all([
      server.runOk(['branches', '--closed', '-T', 'json']),
      server.runOk(['tags', '-T', 'json']),
      server.runOk(['bookmarks', '-T', 'json']),
    ]);
    const jb = JSON.parse(decodeBytes(b) || '[]') as JsonBranch[];
    const jt = (JSON.parse(decodeBytes(t) || '[]') as JsonTag[]).filter((x) => x.tag !== 'tip');
    const jm = JSON.parse(decodeBytes(m) || '[]') as JsonBookmark[];
    const ids = [...new Set([...jb.map((x) => x.node), ...jt.map((x) => x.node), ...jm.map((x) => x.node)])];
    const meta = new Map<string, { date: string; summary: string; topic: string; rev: number }>();
    if (ids.length > 0) {
      // Topic heads come back as branch heads too (topic makes branch heads per branch:topic).
      const out = await server.runOk(['log', '-r', 'head() or tag() or bookmark()', '-T', `{node}${FS}{date|rfc3339date}${FS}{desc|firstline}${FS}{topic}${FS}{rev}${RS}`]);
      for (const rec of decodeBytes(out).split(RS)) {
        const [node, date, summary, topic, rev] = rec.split(FS);
        if (node) meta.set(node, { date: date ?? '', summary: summary ?? '', topic: topic ?? '', rev: Number(rev) });
      }
    }
    const info = (name: string, id: string, extra: Partial<RefInfo> = {}): RefInfo => ({ name, id, date: meta.get(id)?.date ?? '', summary: meta.get(id)?.summary ?? '', ...extra });
    const topicHeads = new Map<string, string>();
    for (const [node, m] of meta) {
      if (m.topic === '') continue;
      const known = topicHeads.get(m.topic);
      if (known === undefined || (meta.get(known)?.rev ?? -1) < m.rev) topicHeads.set(m.topic, node);
    }
    const refs: Refs = {
      branches: jb.filter((x) => (meta.get(x.node)?.topic ?? '') === '').map((x) => info(x.branch, x.node, { closed: x.closed, merged: !x.closed && !x.active, isDefault: x.branch === 'default' })),
      tags: jt.map((x) => info(x.tag, x.node)),
      bookmarks: jm.map((x) => info(x.bookmark, x.node)),
      topics: [...topicHeads].map(([topic, node]) => info(`${TOPIC_REF_PREFIX}${topic}`, node)),
    };
    return refs;
  }
}

/** A revset string literal: quoted, with `\\` and `'` escaped (hg parses it as a Python-style escaped string). */
function revsetString(s: string): string {
  return `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}
