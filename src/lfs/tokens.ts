import { createSharedFileOnce } from '../storage/shared-files.js';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Subject } from '../access/subject.js';
import { FerryError } from '../domain/errors.js';
import type { Stores } from '../store/types.js';

/** How long a token from `git-lfs-authenticate` is good for, in seconds. */
export const LFS_TOKEN_SECONDS = 600;
const PREFIX = 'ferry-lfs.';

interface Claims {
  /** `u` a user (id), `d` a deploy key (repo id, fingerprint). */
  readonly k: 'u' | 'd';
  readonly u?: number;
  readonly r?: number;
  readonly f?: string;
  /** A read-only token or key: downloads only. */
  readonly ro: boolean;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
}

/**
 * Short-lived bearer tokens that `git-lfs-authenticate` hands out over SSH for the LFS HTTP API
 * (git-lfs docs/api/server-discovery.md). A token names who signed in over SSH (a user, or a
 * deploy key) and is signed with HMAC-SHA256 by a key in DATA/secrets/lfs.key; it grants nothing
 * by itself: every request is still decided by the access policy, for the user as they are now.
 */
export class LfsTokens {
  private key: Buffer | undefined;

  constructor(
    private readonly keyFile: string,
    private readonly stores: Pick<Stores, 'users' | 'repos' | 'keys'>,
  ) {}

  /** A token for `subject` (an anonymous subject gets none: it needs no token to read public repos). */
  issue(subject: Subject, now = Date.now()): string | undefined {
    const exp = Math.floor(now / 1000) + LFS_TOKEN_SECONDS;
    let claims: Claims;
    if (subject.kind === 'user') claims = { k: 'u', u: subject.user.id, ro: subject.readOnly, exp };
    else if (subject.kind === 'deploy-key') claims = { k: 'd', r: subject.repo.id, f: subject.fingerprint, ro: !subject.write, exp };
    else return undefined;
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${PREFIX}${body}.${this.sign(body)}`;
  }

  /** Is this an `Authorization` value carrying one of these tokens? */
  static carries(header: string | undefined): boolean {
    return header !== undefined && /^Bearer\s+ferry-lfs\./i.test(header);
  }

  /**
   * The subject a token (from `Authorization: Bearer …`) stands for, as it is now.
   * @throws FerryError FERRY_AUTH_REQUIRED when the token is malformed, forged, expired, or its user or key is gone
   */
  async subjectOf(header: string, now = Date.now()): Promise<Subject> {
    const refuse = (why: string) => new FerryError('FERRY_AUTH_REQUIRED', `Git LFS token ${why}: run the git command again for a fresh one`);
    const token = header.replace(/^Bearer\s+/i, '').trim();
    const m = /^ferry-lfs\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token);
    if (!m) throw refuse('malformed');
    const expected = Buffer.from(this.sign(m[1] as string));
    const given = Buffer.from(m[2] as string);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw refuse('not valid');
    const claims = JSON.parse(Buffer.from(m[1] as string, 'base64url').toString('utf8')) as Claims;
    if (claims.exp * 1000 < now) throw refuse('expired');
    if (claims.k === 'u' && claims.u !== undefined) {
      const user = await this.stores.users.byId(claims.u);
      if (!user) throw refuse('belongs to a removed user');
      return { kind: 'user', user, readOnly: claims.ro };
    }
    if (claims.k === 'd' && claims.r !== undefined && claims.f !== undefined) {
      const repo = await this.stores.repos.byId(claims.r);
      const key = repo ? (await this.stores.keys.listForRepo(repo.id)).find((k) => k.fingerprint === claims.f) : undefined;
      if (!repo || !key) throw refuse('belongs to a removed deploy key');
      return { kind: 'deploy-key', repo, write: !claims.ro, fingerprint: claims.f };
    }
    throw refuse('malformed');
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret()).update(body).digest('base64url');
  }

  private secret(): Buffer {
    if (this.key === undefined) {
      if (!existsSync(this.keyFile)) mkdirSync(dirname(this.keyFile), { recursive: true, mode: 0o700 });
      // Shared by every node on this data dir: created whole, once (src/storage/shared-files.ts).
      this.key = Buffer.from(createSharedFileOnce(this.keyFile, () => randomBytes(32).toString('hex')).trim(), 'hex');
    }
    return this.key;
  }
}
