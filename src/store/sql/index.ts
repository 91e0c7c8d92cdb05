import type { Db } from '../../db/database.js';
import type { Stores } from '../types.js';
import { SqlGrantStore } from './grants.js';
import { SqlHgPhaseStore } from './hg-phases.js';
import { SqlKeyStore } from './keys.js';
import { SqlMirrorStore } from './mirrors.js';
import { SqlCommitStatusStore, SqlRepoDescriptionStore } from './repo-meta.js';
import { SqlRepoStore } from './repos.js';
import { SqlSessionStore } from './sessions.js';
import { SqlTokenStore } from './tokens.js';
import { SqlUserStore } from './users.js';
import { SqlWebhookStore } from './webhooks.js';

/**
 * Every store on one database, SQLite or PostgreSQL (src/db/database.ts): each query is written
 * once, with Kysely's `sql` template. close() closes the database.
 */
export function openStores(db: Db): Stores {
  return {
    users: new SqlUserStore(db),
    keys: new SqlKeyStore(db),
    repos: new SqlRepoStore(db),
    grants: new SqlGrantStore(db),
    tokens: new SqlTokenStore(db),
    mirrors: new SqlMirrorStore(db),
    sessions: new SqlSessionStore(db),
    hgPhases: new SqlHgPhaseStore(db),
    commitStatuses: new SqlCommitStatusStore(db),
    repoDescriptions: new SqlRepoDescriptionStore(db),
    webhooks: new SqlWebhookStore(db),
    close: () => void db.close(),
  };
}
