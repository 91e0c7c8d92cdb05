import type { ApiModule } from './env.js';
import { metaApi } from './routes/meta.js';

/**
 * The API's route table: each module registers its own routes (src/http/api/routes/*.ts).
 * A new area of the API is one more module here.
 */
export const API_MODULES: readonly ApiModule[] = [metaApi];
