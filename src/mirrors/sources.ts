import { FerryError } from '../domain/errors.js';
import type { RepoKind } from '../domain/repo-kind.js';
import { openSourceAccess, type AccessContext, type SourceAccess, type SourceCredentials } from './access.js';
import type { RemoteVcs } from './remote.js';
import type { ImportSource } from './url-safety.js';

/** The hg and git remote adapters plus what every run needs to reach a source. */
export class Sources {
  constructor(
    readonly remotes: Readonly<Record<RepoKind, RemoteVcs>>,
    private readonly context: Omit<AccessContext, 'interactive'>,
  ) {}

  get tempRoot(): string {
    return this.context.tempRoot;
  }

  open(source: ImportSource, credentials: SourceCredentials, interactive: boolean): Promise<SourceAccess> {
    return openSourceAccess(source, credentials, { ...this.context, interactive });
  }

  /** hg or git, asked of the source itself (a `.git` ending tries git first). */
  async detect(source: ImportSource, access: SourceAccess): Promise<RepoKind> {
    const order: RepoKind[] = /\.git\/?$/.test(source.location) ? ['git', 'hg'] : ['hg', 'git'];
    for (const kind of order) {
      if (await this.remotes[kind].probe(source, access)) return kind;
    }
    throw new FerryError(
      'FERRY_IMPORT_FAILED',
      `${source.display} answers neither as an hg nor as a git repository (check the URL and the credentials, or say --hg or --git)`,
    );
  }
}
