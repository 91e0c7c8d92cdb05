import { openSqlite } from '../../db/sqlite.js';
import type { Stores } from '../types.js';
import { SqliteGrantStore } from './grants.js';
import { SqliteHgPhaseStore } from './hg-phases.js';
import { SqliteKeyStore } from './keys.js';
import { SqliteMirrorStore } from './mirrors.js';
import { SqliteRepoStore } from './repos.js';
import { SqliteCommitStatusStore, SqliteRepoDescriptionStore } from './repo-meta.js';
import { SqliteSessionStore } from './sessions.js';
import { SqliteTokenStore } from './tokens.js';
import { SqliteUserStore } from './users.js';
import { SqliteWebhookStore } from './webhooks.js';

export function openSqliteStores(path: string): Stores {
  const db = openSqlite(path);
  return {
    users: new SqliteUserStore(db),
    keys: new SqliteKeyStore(db),
    repos: new SqliteRepoStore(db),
    grants: new SqliteGrantStore(db),
    tokens: new SqliteTokenStore(db),
    mirrors: new SqliteMirrorStore(db),
    sessions: new SqliteSessionStore(db),
    hgPhases: new SqliteHgPhaseStore(db),
    commitStatuses: new SqliteCommitStatusStore(db),
    repoDescriptions: new SqliteRepoDescriptionStore(db),
    webhooks: new SqliteWebhookStore(db),
    close: () => db.close(),
  };
}
