import { FerryError } from '../domain/errors.js';
import type { MirrorStore, Repo } from '../store/types.js';

/** True when `repo` is a pull mirror (it changes only by syncing). */
export async function isMirror(mirrors: MirrorStore, repo: Pick<Repo, 'id'>): Promise<boolean> {
  return (await mirrors.byRepoId(repo.id)) !== undefined;
}

/** The push authorization point asks this: a mirror refuses pushes with FERRY_MIRROR_READ_ONLY. */
export async function assertPushable(mirrors: MirrorStore, repo: Pick<Repo, 'id' | 'path'>): Promise<void> {
  const mirror = await mirrors.byRepoId(repo.id);
  if (mirror) {
    throw new FerryError(
      'FERRY_MIRROR_READ_ONLY',
      `${repo.path} is a read-only mirror of ${mirror.url}: push there instead (an admin can stop mirroring with ferry mirror rm ${repo.path})`,
      { data: { path: repo.path } },
    );
  }
}
