import { join, relative, resolve, sep } from 'node:path';
import type { RepoPath } from '../domain/repo-path.js';

/**
 * Maps a validated RepoPath to its directory under the data dir's `repos/`. The check that the
 * result stays inside is belt and braces: RepoPath already excludes `..` and absolute paths.
 */
export function repoDirectory(reposDir: string, path: RepoPath): string {
  const root = resolve(reposDir);
  const dir = resolve(join(root, path));
  const rel = relative(root, dir);
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) {
    throw new Error(`repository path escapes the data dir: ${path}`);
  }
  return dir;
}
