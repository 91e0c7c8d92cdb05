import { createRequire } from 'node:module';
import type pg from 'pg';

const require = createRequire(import.meta.url);
let loaded: typeof pg | undefined;

/**
 * node-postgres, loaded on first use: a data dir on SQLite (and every `ferry` admin command on one)
 * never loads its modules, which cost about 0.13 s of CPU per process start (measured with
 * `/usr/bin/time node -e "import('pg')"` against an empty node, on the 2-core CI machine).
 * @returns the `pg` package (the module a default import gives).
 */
export function loadPg(): typeof pg {
  loaded ??= require('pg') as typeof pg;
  return loaded;
}
