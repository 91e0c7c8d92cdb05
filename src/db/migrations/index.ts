import { coreSchema } from './001-core.js';
import { mirrorsSchema } from './002-mirrors.js';
import { webSessionsSchema } from './003-web-sessions.js';
import { publicationsSchema } from './004-publications.js';
import { hgPhasesSchema } from './005-hg-phases.js';
import { repoIdentitySchema } from './006-repo-identity.js';
import { commitStatusesSchema } from './007-commit-statuses.js';
import { tokenExpirySchema } from './010-token-expiry.js';
import { webhooksSchema } from './008-webhooks.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Numbered, append-only. Never edit a migration that has shipped; add the next number.
 * Reserved numbers so parallel work does not collide: 2 mirrors, 3 web sessions, 4 cdn/publish,
 * 5 hg phases, 6 repo identity (grants by id, redirects, paths without case), 7 commit statuses
 * and repo descriptions (REST API), 8 webhooks, 10 token expiry.
 */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'core', sql: coreSchema },
  { version: 2, name: 'mirrors', sql: mirrorsSchema },
  { version: 3, name: 'web sessions', sql: webSessionsSchema },
  { version: 4, name: 'publications', sql: publicationsSchema },
  { version: 5, name: 'hg phases', sql: hgPhasesSchema },
  { version: 6, name: 'repo identity', sql: repoIdentitySchema },
  { version: 7, name: 'commit statuses', sql: commitStatusesSchema },
  { version: 8, name: 'webhooks', sql: webhooksSchema },
  { version: 10, name: 'token expiry', sql: tokenExpirySchema },
];
