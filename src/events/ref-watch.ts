import type { Logger } from '../log/logger.js';
import type { Repo } from '../store/types.js';
import { diffRefs, readRefs, type RefPrograms, type RefTable, type RefUpdate } from '../vcs/refs.js';

/** The refs of a repo read before a write; `updates()` reads them again and says which moved. */
export interface RefWatch {
  updates(): Promise<RefUpdate[]>;
}

/**
 * Ref updates (name, old id, new id) for repo events: every writer — a push over SSH or HTTP, a
 * mirror sync, an import — reads the refs before it writes and after, so each change event says
 * what moved (DESIGN.md: events say what changed). A read that fails is logged and counts as no
 * refs, so a broken repo never blocks a push; the event then carries what could be read.
 */
export class RefWatcher {
  constructor(
    private readonly programs: RefPrograms,
    private readonly directoryOf: (repo: Repo) => string,
    private readonly log: Logger,
  ) {}

  /** Reads `repo`'s refs now (before a write). */
  async begin(repo: Repo): Promise<RefWatch> {
    return this.from(repo, await this.read(repo));
  }

  /** For a repo that was empty before (a new import, a push that created it). */
  fromEmpty(repo: Repo): RefWatch {
    return this.from(repo, new Map());
  }

  private from(repo: Repo, before: RefTable): RefWatch {
    return { updates: async () => diffRefs(before, await this.read(repo)) };
  }

  private async read(repo: Repo): Promise<RefTable> {
    try {
      return await readRefs(repo.kind, this.directoryOf(repo), this.programs);
    } catch (err) {
      this.log.warn({ err, path: repo.path }, 'could not read refs');
      return new Map();
    }
  }
}
