import { AccessDeniedError } from '../domain/errors.js';
import type { MirrorStore, Repo } from '../store/types.js';
import { mirrorStatus } from './status.js';

/** True when `repo` is a pull mirror (it changes only by syncing). */
export async function isMirror(mirrors: Pick<MirrorStore, 'byRepoId'>, repo: Pick<Repo, 'id'>): Promise<boolean> {
  return (await mirrors.byRepoId(repo.id)) !== undefined;
}

/** Asked by the push authorization point (src/access/push.ts): a mirror refuses pushes, naming its source without user or credentials. */
export async function mirrorRefusal(mirrors: Pick<MirrorStore, 'byRepoId'>, repo: Pick<Repo, 'id' | 'path'>): Promise<AccessDeniedError | undefined> {
  const mirror = await mirrors.byRepoId(repo.id);
  if (!mirror) return undefined;
  return new AccessDeniedError(
    `${repo.path} is a read-only mirror of ${mirrorStatus(mirror).source}: push there instead (an admin can stop mirroring with ferry mirror rm ${repo.path})`,
    'FERRY_MIRROR_READ_ONLY',
    { path: repo.path },
  );
}
