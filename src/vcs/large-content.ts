import { parseLfsPointer } from '../lfs/pointer.js';
import type { RepoKind } from '../domain/repo-kind.js';
import type { RepoBrowser } from './browse.js';
import { STANDIN_DIR, standinHash, storedLargefile } from './hg/largefiles.js';

/**
 * Where the real content of `path` at commit `id` lives when the commit holds only a reference to
 * it: an hg largefile (the commit has the standin `.hglf/PATH`; the content is in the repo's
 * `.hg/largefiles`), or a Git LFS pointer (`committed` is the pointer; the object is in Ferry's LFS
 * store, `lfsObject`). Undefined when `path` is ordinary content or the repo does not hold the
 * content (then the committed bytes are what there is to serve).
 */
export async function largeContentFile(
  repo: { readonly kind: RepoKind; readonly dir: string },
  browser: RepoBrowser,
  id: string,
  path: string,
  committed: Buffer | undefined,
  lfsObject: (oid: string) => string | undefined,
): Promise<string | undefined> {
  if (repo.kind === 'git') {
    const pointer = committed && parseLfsPointer(committed);
    return pointer ? lfsObject(pointer.oid) : undefined;
  }
  if (committed !== undefined || path.startsWith(STANDIN_DIR)) return undefined;
  const standin = await browser.blob(id, `${STANDIN_DIR}${path}`);
  const hash = standin && standinHash(standin);
  return hash ? storedLargefile(repo.dir, hash) : undefined;
}
