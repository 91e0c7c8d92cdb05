import { lstat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { FerryError, InvalidInputError, NotFoundError } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import type { Repo, RepoStore } from '../store/types.js';
import { checkPublishTarget, exportSnapshot, type ExportProgress, type ExportResult } from './export-dir.js';
import type { Publication, PublicationStore } from './publications.js';
import type { CdnService } from './service.js';

export type SyncOutcome = { readonly kind: 'unchanged'; readonly commit: string } | ({ readonly kind: 'written'; readonly commit: string } & ExportResult);

/** `ferry publish`: keeps directories on disk in sync with a ref, one atomic swap per change. */
export class Publisher {
  /** One sync at a time per directory; a change arriving meanwhile runs once after it. */
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: PublicationStore,
    private readonly repos: Pick<RepoStore, 'byId'>,
    private readonly cdn: CdnService,
    private readonly guard: { readonly dataDir: string },
    private readonly log: Logger,
  ) {}

  /** Where `ferry publish PATH` writes when no --dir is given. */
  defaultDir(repo: Repo, ref: string | undefined): string {
    return resolve(this.guard.dataDir, 'published', ref === undefined ? repo.path : `${repo.path}@${ref.replaceAll('/', '_')}`);
  }

  async register(repo: Repo, ref: string | undefined, dir: string): Promise<Publication> {
    const abs = resolve(dir);
    const data = resolve(this.guard.dataDir);
    if (abs === data || data.startsWith(`${abs}${sep}`) || (abs.startsWith(`${data}${sep}`) && !abs.startsWith(`${resolve(data, 'published')}${sep}`))) {
      throw new InvalidInputError(`${abs} would overwrite Ferry's data dir; choose a --dir outside it (or under ${resolve(data, 'published')})`);
    }
    await checkPublishTarget(abs);
    return this.store.register(repo.id, ref, abs);
  }

  async list(): Promise<Publication[]> {
    return this.store.list();
  }

  /** Stops keeping `dir` in sync; true when it was registered. */
  async unregister(dir: string): Promise<boolean> {
    const found = await this.store.byDir(resolve(dir));
    if (found) await this.store.remove(found.id);
    return found !== undefined;
  }

  async sync(publication: Publication, progress?: ExportProgress): Promise<SyncOutcome> {
    const previous = this.running.get(publication.dir) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => this.syncNow(publication.id, progress));
    this.running.set(publication.dir, next);
    try {
      return await next;
    } finally {
      if (this.running.get(publication.dir) === next) this.running.delete(publication.dir);
    }
  }

  /** Every publication of `repo` (after a push or sync); failures are logged, never thrown. */
  async repoChanged(repo: Repo): Promise<void> {
    await Promise.all((await this.store.forRepo(repo.id)).map((p) => this.syncLogged(p)));
  }

  /** On server start: catch up with changes made while it was down. */
  async syncAll(): Promise<void> {
    for (const p of await this.store.list()) await this.syncLogged(p);
  }

  private async syncLogged(p: Publication): Promise<void> {
    try {
      const outcome = await this.sync(p, (d) => this.log.info({ dir: p.dir, ...d }, 'publish progress'));
      if (outcome.kind === 'written') this.log.info({ dir: p.dir, commit: outcome.commit, files: outcome.files, bytes: outcome.bytes }, 'published');
    } catch (err) {
      this.log.warn({ err, dir: p.dir }, 'publish failed');
    }
  }

  private async syncNow(id: number, progress?: ExportProgress): Promise<SyncOutcome> {
    const publication = (await this.store.list()).find((p) => p.id === id);
    if (!publication) throw new NotFoundError('the publication was removed');
    const repo = await this.repos.byId(publication.repoId);
    if (!repo) throw new NotFoundError('the published repository was removed', 'FERRY_REPO_NOT_FOUND');
    const resolved = await this.cdn.resolve(repo, publication.ref);
    if (!resolved) {
      throw new FerryError('FERRY_NOT_FOUND', `${repo.path} has no ${publication.ref === undefined ? 'commit on its default branch' : `branch, tag, commit or version ${JSON.stringify(publication.ref)}`} to publish yet`);
    }
    if (resolved.commit === publication.commit && (await isPublished(publication.dir))) return { kind: 'unchanged', commit: resolved.commit };
    const snapshot = await this.cdn.snapshot(repo, resolved.commit);
    const result = await exportSnapshot(snapshot, publication.dir, progress);
    await this.store.markPublished(publication.id, resolved.commit);
    return { kind: 'written', commit: resolved.commit, ...result };
  }
}

async function isPublished(dir: string): Promise<boolean> {
  return lstat(dir).then(
    (s) => s.isSymbolicLink(),
    () => false,
  );
}
