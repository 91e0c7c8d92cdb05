import type { Logger } from '../log/logger.js';
import type { Repo } from '../store/types.js';
import { BlobCache } from './blob.js';
import { isCompressible } from './content-type.js';
import { maxSatisfying, parseRange } from './semver.js';
import { Snapshot, type FileNode } from './snapshot.js';
import { SnapshotCache } from './snapshot-cache.js';
import type { RefTable, RepoSource, VcsReader } from './vcs-source.js';

/** Where a file's bytes are kept in the blob cache: object ids are content hashes within one VCS. */
function blobKey(repo: Repo, id: string): string {
  return `${repo.kind}:${id}`;
}

/** Files read and compressed ahead of the first request after a push, per branch moved. */
const PREWARM_FILES = 64;

/** Events make pushes visible at once; this bounds how long a change behind Ferry's back goes unseen. */
const STALE_CHECK_MS = 2_000;

/** What a ref named in a URL turned into. */
export interface ResolvedRef {
  readonly commit: string;
  readonly via: 'branch' | 'tag' | 'commit' | 'range';
  /** Commit ids and exact tags never change what they serve; branches and ranges do. */
  readonly immutable: boolean;
}

export interface CdnOptions {
  /** Bytes: what the CDN holds (file contents, their compressed forms, file indexes) stays under this. */
  readonly memory: number;
  readonly maxFileSize: number;
  readonly directoryOf: (repo: Repo) => string;
  /** The file of a Git LFS object the repo holds, or undefined: served instead of its pointer. */
  readonly lfsObject?: (repo: Repo, oid: string) => string | undefined;
  readonly log: Logger;
  /** Called when a repo changed behind Ferry's back (no push or sync event announced it). */
  readonly onStale?: (repo: Repo) => void;
}

interface RepoState {
  refs: RefTable;
  /** `VcsReader.fingerprint` when the refs were read, and when it was last compared. */
  readonly fingerprint: string;
  checkedAt: number;
  /** Branch names served since the last change: rebuilt before a change is made visible. */
  readonly hot: Set<string>;
  /** Short or full ids already looked up (ids never change meaning; misses are forgotten on change). */
  readonly ids: Map<string, string | null>;
}

/**
 * The CDN's model: each repo's refs, and snapshots of commits in memory. A change event reloads
 * the refs, builds the snapshots of branches being served, then swaps the new ref table in, so a
 * request sees either everything old or everything new.
 */
export class CdnService {
  /**
   * File contents by object id, loaded on demand: five eighths of the budget (a CDN worker keeps
   * its reused answers in one eighth, src/cdn/workers/worker-main.ts).
   */
  readonly blobs: BlobCache;
  /** File indexes of commits: a quarter of the budget. */
  readonly cache: SnapshotCache;
  private readonly states = new Map<number, Promise<RepoState>>();
  private readonly changing = new Map<number, Promise<void>>();

  constructor(
    private readonly reader: VcsReader,
    private readonly options: CdnOptions,
  ) {
    this.blobs = new BlobCache(Math.floor((options.memory * 5) / 8));
    this.cache = new SnapshotCache(Math.floor(options.memory / 4));
  }

  /** Resolves REF (undefined: the default branch) or undefined when nothing matches. */
  async resolve(repo: Repo, ref: string | undefined): Promise<ResolvedRef | undefined> {
    const state = await this.state(repo);
    const refs = state.refs;
    if (ref === undefined || ref === '') {
      const commit = refs.branches.get(refs.defaultBranch);
      if (commit) state.hot.add(refs.defaultBranch);
      return commit ? { commit, via: 'branch', immutable: false } : undefined;
    }
    const tag = refs.tags.get(ref);
    if (tag) return { commit: tag, via: 'tag', immutable: true };
    const branch = refs.branches.get(ref);
    if (branch) {
      state.hot.add(ref);
      return { commit: branch, via: 'branch', immutable: false };
    }
    if (/^[0-9a-f]{4,64}$/.test(ref)) {
      const commit = await this.commitId(repo, state, ref);
      if (commit) return { commit, via: 'commit', immutable: true };
    }
    const range = parseRange(ref);
    if (range) {
      const best = maxSatisfying(refs.tags.keys(), range);
      const commit = best === undefined ? undefined : refs.tags.get(best);
      if (commit) return { commit, via: 'range', immutable: false };
    }
    return undefined;
  }

  /** Names with `/` (git `feature/x`): the longest leading run of segments naming a branch or tag. */
  async splitRef(repo: Repo, segments: readonly string[]): Promise<number> {
    const { refs } = await this.state(repo);
    for (let n = segments.length; n > 1; n--) {
      const name = segments.slice(0, n).join('/');
      if (refs.branches.has(name) || refs.tags.has(name)) return n;
    }
    return 1;
  }

  /**
   * Makes sure `repo`'s refs are loaded, and starts the check for a change made behind Ferry's
   * back when the last one is older than STALE_CHECK_MS (a change found arrives as `onStale`).
   * For answers reused without routing (src/cdn/workers/hot-answers.ts), which would otherwise
   * never look.
   */
  async checkFresh(repo: Repo): Promise<void> {
    await this.state(repo);
  }

  /** The file index of `commit` (contents are read when a file is asked for). */
  snapshot(repo: Repo, commit: string): Promise<Snapshot> {
    return this.cache.load(`${repo.id}:${commit}`, async () => {
      const started = Date.now();
      const source = this.source(repo);
      const entries = await this.reader.listTree(source, commit);
      const read = async (node: FileNode, path: string) => {
        const data = await this.reader.readFile(source, commit, { id: node.id, path });
        this.options.log.debug({ repo: repo.path, commit, path, bytes: data.length }, 'cdn file read');
        return data;
      };
      const load = (node: FileNode, path: string) => this.blobs.get(node.id, () => read(node, path), blobKey(repo, node.id));
      const snapshot = Snapshot.build(commit, entries, load, this.options.maxFileSize);
      this.options.log.info({ repo: repo.path, commit, files: snapshot.files.size, bytes: snapshot.fileBytes, ms: Date.now() - started }, 'cdn snapshot built');
      return snapshot;
    });
  }

  /** Stops the helper processes (git cat-file, hg command servers) the CDN reads with. */
  close(): void {
    this.reader.close();
  }

  /**
   * A push or sync moved something: reload the refs, build what the moved branches now serve,
   * then swap. Changes to one repo are applied one at a time, in order.
   */
  repoChanged(repo: Repo): Promise<void> {
    const previous = this.changing.get(repo.id) ?? Promise.resolve();
    const next = previous.then(() => this.applyChange(repo)).catch((err: unknown) => {
      this.options.log.warn({ err, repo: repo.path }, 'cdn refresh failed; refs reload on next request');
      this.states.delete(repo.id);
    });
    this.changing.set(repo.id, next);
    void next.then(() => {
      if (this.changing.get(repo.id) === next) this.changing.delete(repo.id);
    });
    return next;
  }

  repoRemoved(repo: Repo): void {
    this.forget(repo.id);
    this.reader.drop(this.options.directoryOf(repo));
  }

  forget(repoId: number): void {
    this.states.delete(repoId);
    this.cache.dropPrefix(`${repoId}:`);
  }

  private async applyChange(repo: Repo): Promise<void> {
    const current = this.states.get(repo.id);
    if (!current) return;
    const old = await current.catch(() => undefined);
    const [fingerprint, refs] = await Promise.all([this.reader.fingerprint(this.source(repo)), this.reader.refs(this.source(repo))]);
    // Branches still served keep their names; deleted ones are forgotten (nothing grows per push).
    const hot = new Set([...(old?.hot ?? [])].filter((name) => refs.branches.has(name)));
    const warm: [Snapshot | undefined, Snapshot][] = [];
    for (const name of hot) {
      const commit = refs.branches.get(name) as string;
      const before = old?.refs.branches.get(name);
      const snapshot = await this.snapshot(repo, commit);
      if (before !== commit) warm.push([before === undefined ? undefined : this.cache.get(`${repo.id}:${before}`), snapshot]);
    }
    this.states.set(repo.id, Promise.resolve({ refs, fingerprint, checkedAt: Date.now(), hot, ids: new Map([...(old?.ids ?? [])].filter(([, v]) => v !== null)) }));
    for (const [before, after] of warm) if (before) this.prewarm(repo, before, after);
    // What a branch served before it moved is reachable by commit id only now: built again if asked.
    if (old) {
      const still = new Set([...refs.branches.values(), ...refs.tags.values()]);
      for (const name of old.hot) {
        const before = old.refs.branches.get(name);
        if (before !== undefined && !still.has(before)) this.cache.drop(`${repo.id}:${before}`);
      }
    }
  }

  /**
   * After a branch moved: the files it changed that were being served (their old bytes are held)
   * are read and compressed now, in the background, so the first request after the push does not
   * pay for it (a request meanwhile shares the same read and compression). At most PREWARM_FILES.
   */
  private prewarm(repo: Repo, before: Snapshot, after: Snapshot): void {
    let n = 0;
    for (const [path, node] of after.files) {
      if (n >= PREWARM_FILES) return;
      if (node.kind === 'too-large') continue;
      const old = before.files.get(path);
      if (!old || old.kind === 'too-large' || old.id === node.id || !this.blobs.holds(blobKey(repo, old.id))) continue;
      n++;
      void Promise.resolve(after.blob(node, path)).then(
        (blob) => {
          if (blob.data.length <= 1024 || !isCompressible(Snapshot.contentType(node, blob))) return;
          void blob.encoded('br');
          void blob.encoded('gzip');
        },
        () => {},
      );
    }
  }

  private async state(repo: Repo): Promise<RepoState> {
    let pending = this.states.get(repo.id);
    if (!pending) {
      const source = this.source(repo);
      pending = Promise.all([this.reader.fingerprint(source), this.reader.refs(source)]).then(([fingerprint, refs]) => ({
        refs,
        fingerprint,
        checkedAt: Date.now(),
        hot: new Set<string>(),
        ids: new Map<string, string | null>(),
      }));
      this.states.set(repo.id, pending);
      pending.catch(() => this.states.delete(repo.id));
    }
    const state = await pending;
    const now = Date.now();
    if (now - state.checkedAt > STALE_CHECK_MS && !this.changing.has(repo.id)) {
      state.checkedAt = now;
      void this.reader.fingerprint(this.source(repo)).then((f) => {
        if (f === state.fingerprint) return;
        if (this.options.onStale) this.options.onStale(repo);
        else void this.repoChanged(repo);
      });
    }
    return state;
  }

  private async commitId(repo: Repo, state: RepoState, hex: string): Promise<string | undefined> {
    const known = state.ids.get(hex);
    if (known !== undefined) return known ?? undefined;
    const id = await this.reader.commitId(this.source(repo), hex);
    if (state.ids.size > 10_000) state.ids.clear();
    state.ids.set(hex, id ?? null);
    return id;
  }

  private source(repo: Repo): RepoSource {
    const lfsObject = this.options.lfsObject;
    return { kind: repo.kind, dir: this.options.directoryOf(repo), ...(lfsObject ? { lfsObject: (oid: string) => lfsObject(repo, oid) } : {}) };
  }
}
