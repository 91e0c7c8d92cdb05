import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync, type ReadStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { join } from 'node:path';
import { InvalidInputError } from '../domain/errors.js';
import { OID } from './pointer.js';

/**
 * Git LFS objects, per repository id under DATA/lfs: `lfs/REPO_ID/aa/bb/OID` (the layout of
 * git-lfs's own `.git/lfs/objects`). Keyed by id, objects follow a repo through `ferry repo mv`
 * and go with `ferry repo rm` (removeRepo). An object is only ever written whole and verified:
 * it is streamed into `lfs/tmp` on the same disk, hashed on the way, and renamed into place only
 * when its SHA-256 and size match what the client named.
 */
export class LfsStore {
  constructor(private readonly root: string) {}

  /** The object's file, whether or not it exists. `oid` must be 64 lower-case hex digits. */
  pathOf(repoId: number, oid: string): string {
    if (!OID.test(oid)) throw new InvalidInputError(`not a Git LFS object id: ${JSON.stringify(oid.slice(0, 80))} (64 hex digits expected)`);
    return join(this.root, String(repoId), oid.slice(0, 2), oid.slice(2, 4), oid);
  }

  /** The stored object's size in bytes, or undefined when the repo does not hold it. */
  sizeOf(repoId: number, oid: string): number | undefined {
    try {
      return statSync(this.pathOf(repoId, oid)).size;
    } catch {
      return undefined;
    }
  }

  /** The object's file when the repo holds it, else undefined. */
  fileOf(repoId: number, oid: string): string | undefined {
    const path = this.pathOf(repoId, oid);
    return existsSync(path) ? path : undefined;
  }

  /** A stream of the object's bytes, or undefined when it is not stored. */
  open(repoId: number, oid: string): ReadStream | undefined {
    const path = this.pathOf(repoId, oid);
    return existsSync(path) ? createReadStream(path) : undefined;
  }

  /**
   * Stores `body` as object `oid` of repo `repoId`, after checking that its SHA-256 is `oid` and,
   * when given, that it is `size` bytes long. Nothing is kept when the check fails or the body
   * breaks off. An object already stored is left as it is.
   * @throws InvalidInputError FERRY_INVALID_INPUT when the content does not match (HTTP 422 at the LFS edge)
   */
  async write(repoId: number, oid: string, body: Readable, size?: number): Promise<void> {
    const target = this.pathOf(repoId, oid);
    const tmpDir = join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const tmp = join(tmpDir, `${oid}.${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let length = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        length += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, tap, createWriteStream(tmp, { mode: 0o644 }));
      const actual = hash.digest('hex');
      if (actual !== oid) throw new InvalidInputError(`the uploaded content's SHA-256 is ${actual}, not ${oid}: nothing was stored; upload the object again`);
      if (size !== undefined && length !== size) throw new InvalidInputError(`the uploaded object is ${length} bytes, not ${size}: nothing was stored; upload it again`);
      await mkdir(join(target, '..'), { recursive: true });
      await rename(tmp, target);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Removes every object of a repository (after `ferry repo rm`). */
  async removeRepo(repoId: number): Promise<void> {
    await rm(join(this.root, String(repoId)), { recursive: true, force: true });
  }
}
