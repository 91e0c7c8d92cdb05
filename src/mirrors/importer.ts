import type { RefWatcher } from '../events/ref-watch.js';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../domain/errors.js';
import type { RepoKind } from '../domain/repo-kind.js';
import { assertNewRepoPath, type RepoPath } from '../domain/repo-path.js';
import type { RepoEvents } from '../events/repo-events.js';
import type { HgPhases } from '../services/hg-phases.js';
import type { RepositoryService } from '../services/repositories.js';
import type { Repo, RepoStore } from '../store/types.js';
import { runProcess } from '../vcs/process.js';
import type { SourceCredentials } from './access.js';
import { TransferProgress, type ProgressOutput } from './progress.js';
import { describeDifferences, lastWords } from './remote.js';
import type { MirrorService } from './service.js';
import type { Sources } from './sources.js';
import { parseImportUrl } from './url-safety.js';

export interface ImportRequest {
  readonly url: string;
  readonly path: RepoPath;
  /** An explicit --hg/--git; otherwise asked of the source. */
  readonly kind?: RepoKind;
  readonly credentials: SourceCredentials;
  readonly isPublic: boolean;
  /** Keep the source URL in the copy's config (hg [paths] default, git remote origin). */
  readonly keepRemote: boolean;
  readonly mirror?: { readonly intervalMs: number; readonly allowForce: boolean };
  /** Local paths and file:// read the server's disk: true only for admins (the CLI). */
  readonly allowLocal: boolean;
  /** A terminal is attached (ssh may ask for a passphrase). */
  readonly interactive: boolean;
  readonly progress: ProgressOutput;
}

export interface ImportOutcome {
  readonly repo: Repo;
  readonly summary: string;
  /** The mirror's webhook secret, shown once. */
  readonly webhookSecret?: string;
  /** An existing repo was made a mirror (nothing was created). */
  readonly adopted?: boolean;
}

/**
 * One import: reach the source with the run's own credentials, clone into a temporary directory
 * inside the data dir, drop the source's config, verify against the source, then move the copy
 * into place in one rename. Whatever happens, the temporary copy and the secrets are removed.
 */
export class Importer {
  constructor(
    private readonly deps: {
      readonly repositories: RepositoryService;
      readonly repos: RepoStore;
      readonly mirrors: MirrorService;
      readonly events: RepoEvents;
      /** Ref updates for the import's change event (every ref is created). */
      readonly refs: RefWatcher;
      readonly sources: Sources;
      readonly hgPhases: HgPhases;
      readonly sshKeygen: string;
    },
  ) {}

  async run(request: ImportRequest): Promise<ImportOutcome> {
    const source = parseImportUrl(request.url, { allowLocal: request.allowLocal });
    assertNewRepoPath(request.path);
    const clash = await this.deps.repos.overlapping(request.path);
    // `--mirror` onto the repo itself: make it a mirror of the source when its history allows.
    if (clash && clash.path === request.path && request.mirror) return this.mirrorExisting({ ...request, mirror: request.mirror });
    if (clash) {
      throw new FerryError('FERRY_REPO_EXISTS', clash.path.toLowerCase() === request.path.toLowerCase() ? `repository ${request.path} already exists` : `cannot import to ${request.path}: ${clash.path} is in the way; repositories may not nest`, {
        data: { path: request.path, clash: clash.path },
      });
    }
    const credentials = await this.mirrorCredentials(request);
    const sources = this.deps.sources;
    await mkdir(sources.tempRoot, { recursive: true, mode: 0o700 });
    const work = await mkdtemp(join(sources.tempRoot, 'import-'));
    const access = await sources.open(source, request.credentials, request.interactive).catch(async (err: unknown) => {
      await rm(work, { recursive: true, force: true });
      throw err;
    });
    try {
      const kind = request.kind ?? (await sources.detect(source, access));
      const remote = sources.remotes[kind];
      const dest = join(work, 'repo');
      const progress = new TransferProgress(`import ${request.path}`, work, request.progress);
      progress.start();
      try {
        await remote.clone(source, dest, access, progress);
      } catch (err) {
        progress.stop('failed');
        const words = lastWords(err);
        const hint =
          /authoriz|authenticat|could not read (Username|Password)|401|403/i.test(words) && source.scheme !== 'ssh' && source.scheme !== 'file'
            ? ' (set FERRY_IMPORT_USER and FERRY_IMPORT_PASSWORD for a private source)'
            : /Permission denied \(publickey/.test(words)
              ? ' (give a key the source accepts with --identity KEYFILE, or load it in an ssh agent)'
              : '';
        throw new FerryError('FERRY_IMPORT_FAILED', `could not fetch ${source.display}: ${words}${hint}`, { cause: err });
      }
      progress.stop('fetched');
      await remote.finish(source, dest, { keepRemote: request.keepRemote });
      const summary = await remote.verify(source, dest, access);
      const drafts = remote.keepsDrafts ? await remote.keepsDrafts(dest, access) : false;
      const repo = await this.deps.repositories.adopt(request.path, kind, dest, { isPublic: request.isPublic });
      if (drafts) await this.deps.hgPhases.set(repo.path, false);
      let webhookSecret: string | undefined;
      if (request.mirror) {
        try {
          webhookSecret = await this.deps.mirrors.create(repo, { url: request.url, ...request.mirror, credentials });
        } catch (err) {
          await this.deps.repositories.remove(repo.path).catch(() => undefined);
          throw err;
        }
      }
      await this.deps.events.emitChanged({ repo, cause: 'import', refUpdates: await this.deps.refs.fromEmpty(repo).updates(), pusher: 'import' });
      const phases = drafts ? ', non-publishing (the source shares drafts; ferry repo set --publishing to change)' : '';
      return { repo, summary: `${kind} ${summary}${phases}`, ...(webhookSecret !== undefined ? { webhookSecret } : {}) };
    } finally {
      await access.dispose();
      await rm(work, { recursive: true, force: true });
    }
  }

  /**
   * Turns an existing repo into a pull mirror of `request.url` (`ferry mirror add PATH URL`, or
   * `ferry import URL PATH --mirror` onto it). First checked against the source: it must answer as
   * a repo of the same kind and have everything the repo has (nothing would be lost or diverge);
   * then registered and synced once. Throws FERRY_VERIFY_FAILED (history differs),
   * FERRY_REPO_EXISTS (already a mirror), FERRY_REPO_NOT_FOUND.
   */
  async mirrorExisting(request: ImportRequest & { readonly mirror: NonNullable<ImportRequest['mirror']> }): Promise<ImportOutcome> {
    const source = parseImportUrl(request.url, { allowLocal: request.allowLocal });
    const repo = await this.deps.repos.byPath(request.path);
    if (!repo) throw new FerryError('FERRY_REPO_NOT_FOUND', `no repository at ${request.path}`, { data: { path: request.path } });
    if (await this.deps.mirrors.isMirror(repo)) {
      throw new FerryError('FERRY_REPO_EXISTS', `${repo.path} is already a mirror (ferry mirror list shows its source; ferry mirror rm ${repo.path} first to change it)`, { data: { path: repo.path } });
    }
    if (request.kind !== undefined && request.kind !== repo.kind) {
      throw new FerryError('FERRY_INVALID_INPUT', `${repo.path} is a ${repo.kind} repository; it cannot mirror a ${request.kind} source`);
    }
    const credentials = await this.mirrorCredentials(request);
    const access = await this.deps.sources.open(source, request.credentials, request.interactive);
    try {
      const remote = this.deps.sources.remotes[repo.kind];
      if (!(await remote.probe(source, access))) {
        throw new FerryError('FERRY_IMPORT_FAILED', `${source.display} does not answer as a ${repo.kind} repository; ${repo.path} is one (check the URL and the credentials)`);
      }
      const extra = await remote.unknownToSource(source, this.deps.repositories.directoryOf(repo), access);
      if (extra.length > 0) {
        throw new FerryError('FERRY_VERIFY_FAILED', `${repo.path} cannot become a mirror of ${source.display}: it has ${describeDifferences(extra)}; push them to the source first, or import into a new path`, {
          data: { diffs: extra },
        });
      }
    } finally {
      await access.dispose();
    }
    const webhookSecret = await this.deps.mirrors.create(repo, { url: request.url, ...request.mirror, credentials });
    try {
      const outcome = await this.deps.mirrors.sync(repo.path, { progress: request.progress });
      return { repo, summary: `${repo.kind} history checked against the source, first sync: ${outcome.summary}`, webhookSecret, adopted: true };
    } catch (err) {
      await this.deps.mirrors.remove(repo.path).catch(() => undefined);
      throw err;
    }
  }

  /** What a mirror keeps for its unattended syncs: the key's text (it must have no passphrase), user, password. */
  private async mirrorCredentials(request: ImportRequest): Promise<SourceCredentials> {
    if (!request.mirror) return {};
    const { identityFile, user, password } = request.credentials;
    let sshKey: string | undefined;
    if (identityFile !== undefined) {
      const check = await runProcess(this.deps.sshKeygen, ['-y', '-P', '', '-f', identityFile], { allowFailure: true });
      if (check.code !== 0) {
        throw new FerryError(
          'FERRY_INVALID_INPUT',
          `${identityFile} cannot be used for a mirror: it has a passphrase or is not a private key (a mirror syncs unattended; give it a dedicated key without a passphrase)`,
        );
      }
      sshKey = await readFile(identityFile, 'utf8');
    }
    return { ...(sshKey !== undefined ? { sshKey } : {}), ...(user !== undefined ? { user } : {}), ...(password !== undefined ? { password } : {}) };
  }
}
