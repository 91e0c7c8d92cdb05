import type { ApiModule } from './env.js';
import { metaApi } from './routes/meta.js';
import { reposApi } from './routes/repos.js';
import { usersApi } from './routes/users.js';
import { commitsApi } from './routes/commits.js';
import { branchesApi } from './routes/branches.js';
import { contentsApi } from './routes/contents.js';
import { statusesApi } from './routes/statuses.js';
import { archiveApi } from './routes/archive.js';
import { mirrorsApi } from './routes/mirrors.js';
import { hooksApi } from './routes/hooks.js';

/**
 * The API's route table: each module registers its own routes (src/http/api/routes/*.ts).
 * A new area of the API is one more module here.
 */
export const API_MODULES: readonly ApiModule[] = [metaApi, reposApi, usersApi, commitsApi, branchesApi, contentsApi, statusesApi, archiveApi, mirrorsApi, hooksApi];
