import { cloneBundleLockKey, type ClusterLocks } from '../../cluster/locks.js';
import { createSharedFileOnce } from '../../storage/shared-files.js';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../../log/logger.js';
import type { Repo } from '../../store/types.js';
import { repoFingerprint } from '../fingerprint.js';
import { runProcess } from '../process.js';

/** A stream clone bundle ready to be fetched. */
export interface CloneBundle {
  /** File name under the repo's bundle dir (`<state>.hg`). */
  readonly name: string;
  readonly path: string;
  /** Mercurial's bundle spec, for the manifest's BUNDLESPEC (clients skip what they cannot apply). */
  readonly spec: string;
  readonly size: number;
}

export interface HgCloneBundlesOptions {
  readonly hgExecutable: string;
  readonly env: NodeJS.ProcessEnv;
  /** `DATA/hg-bundles`: one dir per repo id. */
  readonly dir: string;
  /** Where the signing key lives (made on first use, 0600). */
  readonly keyFile: string;
  /** Repos with a smaller store are cloned the usual way (a bundle would not pay for its request). */
  readonly minStoreSize: number;
  readonly directoryOf: (repo: Repo) => string;
  readonly log: Logger;
  /** Locks shared with the other nodes (src/cluster/locks.ts): one node at a time builds a repo's bundle. */
  readonly locks?: ClusterLocks;
}

/** How long a bundle URL handed out in a manifest stays valid. */
const URL_LIFETIME_MS = 60 * 60 * 1000;
/** Bundle kept beside the newest, for clients that got its URL just before a rebuild. */
const KEEP_PREVIOUS = 1;

/**
 * Pre-made Mercurial clone bundles (the `clonebundles` protocol that ships with Mercurial): a
 * stream bundle of a repo's store (a changegroup bundle for repos with obsolescence markers),
 * made once per repo state in the background, so a full clone copies store files instead of the
 * client re-applying every changeset (3-4x faster here). The
 * client applies the bundle, then pulls whatever came after it from the repo as usual.
 * Bundle URLs are signed for one subject and expire; the access check is made again at fetch.
 */
export class HgCloneBundles {
  private readonly building = new Map<number, Promise<void>>();
  /** Store size per repo state: walked once per change, not per request. */
  private readonly sizes = new Map<number, { state: string; size: number }>();
  private key: Buffer | undefined;

  constructor(private readonly options: HgCloneBundlesOptions) {}

  /** The newest bundle of `repo`, and a rebuild started in the background when the repo moved on. */
  async offer(repo: Repo): Promise<CloneBundle | undefined> {
    if (repo.kind !== 'hg' || this.options.minStoreSize <= 0) return undefined;
    const state = await this.stateOf(repo);
    if (state === undefined) return undefined;
    const bundles = await this.list(repo);
    if (bundles[0]?.name !== `${state}.hg` && !this.building.has(repo.id)) this.startBuild(repo, state);
    return bundles[0];
  }

  /** A bundle by name (as a signed URL named it), if it still exists. */
  async find(repoId: number, name: string): Promise<CloneBundle | undefined> {
    if (!/^[0-9a-f]{24}\.hg$/.test(name)) return undefined;
    return (await this.listDir(join(this.options.dir, String(repoId)))).find((b) => b.name === name);
  }

  /** Query string proving that `subject` may fetch `name` of repo `repoId` until it expires. */
  sign(repoId: number, name: string, subject: string, now = Date.now()): string {
    const expires = Math.floor((now + URL_LIFETIME_MS) / 1000);
    return `for=${encodeURIComponent(subject)}&expires=${expires}&sig=${this.mac(repoId, name, subject, expires)}`;
  }

  /** The subject a signed query was made for, or undefined when it is forged or expired. */
  verify(repoId: number, name: string, query: URLSearchParams, now = Date.now()): string | undefined {
    const subject = query.get('for');
    const expires = Number(query.get('expires'));
    const sig = query.get('sig') ?? '';
    if (subject === null || !Number.isInteger(expires) || expires * 1000 < now) return undefined;
    const expected = Buffer.from(this.mac(repoId, name, subject, expires));
    const given = Buffer.from(sig);
    return given.length === expected.length && timingSafeEqual(given, expected) ? subject : undefined;
  }

  /** A removed repo's bundles go with it. */
  async forget(repo: Repo): Promise<void> {
    await this.building.get(repo.id);
    this.sizes.delete(repo.id);
    await rm(join(this.options.dir, String(repo.id)), { recursive: true, force: true });
  }

  /** Waits for a build in progress (tests, shutdown). */
  async settled(repo: Repo): Promise<void> {
    await this.building.get(repo.id);
  }

  private mac(repoId: number, name: string, subject: string, expires: number): string {
    return createHmac('sha256', this.signingKey()).update(`${repoId}\n${name}\n${subject}\n${expires}`).digest('base64url');
  }

  private signingKey(): Buffer {
    if (!this.key) {
      const file = this.options.keyFile;
      if (!existsSync(file)) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      // Shared by every node on this data dir: created whole, once (src/storage/shared-files.ts).
      this.key = Buffer.from(createSharedFileOnce(file, () => randomBytes(32).toString('hex')).trim(), 'hex');
    }
    return this.key;
  }

  /** Names the repo's current state (repoFingerprint: changelog, phases, bookmarks…), or undefined when too small or empty. */
  private async stateOf(repo: Repo): Promise<string | undefined> {
    const dir = this.options.directoryOf(repo);
    if (!existsSync(join(dir, '.hg', 'store', '00changelog.i'))) return undefined;
    const state = createHash('sha256').update(await repoFingerprint('hg', dir)).digest('hex').slice(0, 24);
    let known = this.sizes.get(repo.id);
    if (known?.state !== state) {
      known = { state, size: await treeSize(join(dir, '.hg', 'store')) };
      this.sizes.set(repo.id, known);
    }
    return known.size >= this.options.minStoreSize ? state : undefined;
  }

  private startBuild(repo: Repo, state: string): void {
    const locks = this.options.locks;
    // Another node building this repo's bundle already: it is served from the shared dir when done.
    const locked = locks ? locks.tryWithLock(cloneBundleLockKey(repo.path), () => this.build(repo, state)).then(() => undefined) : this.build(repo, state);
    const build = locked
      .catch((err: unknown) => this.options.log.warn({ err, repo: repo.path }, 'hg clone bundle failed; clones go the usual way'))
      .finally(() => this.building.delete(repo.id));
    this.building.set(repo.id, build);
  }

  private async build(repo: Repo, state: string): Promise<void> {
    const started = Date.now();
    const { hgExecutable: hg, env, log } = this.options;
    const dir = join(this.options.dir, String(repo.id));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `${state}.tmp`);
    const repoDir = this.options.directoryOf(repo);
    // A stream bundle copies the whole store: never one of a repo holding secret changesets.
    const secret = await runProcess(hg, ['-R', repoDir, 'log', '-r', 'secret()', '-l', '1', '-T', 'x'], { env });
    if (secret.stdout.length > 0) return;
    log.info({ repo: repo.path }, 'hg clone bundle: building');
    try {
      await runProcess(hg, ['-R', repoDir, 'bundle', '-q', '--all', '--type', await bundleTypeOf(repoDir), tmp], { env });
      const spec = (await runProcess(hg, ['debugbundle', '--spec', tmp], { env })).stdout.toString().trim();
      await writeFile(join(dir, `${state}.spec`), `${spec}\n`);
      await rename(tmp, join(dir, `${state}.hg`));
    } finally {
      await rm(tmp, { force: true });
    }
    const bundles = await this.listDir(dir);
    for (const old of bundles.slice(1 + KEEP_PREVIOUS)) {
      await rm(old.path, { force: true });
      await rm(old.path.replace(/\.hg$/, '.spec'), { force: true });
    }
    log.info({ repo: repo.path, bytes: bundles[0]?.size, ms: Date.now() - started }, 'hg clone bundle: ready');
  }

  private list(repo: Repo): Promise<CloneBundle[]> {
    return this.listDir(join(this.options.dir, String(repo.id)));
  }

  /** Bundles in `dir`, newest first. */
  private async listDir(dir: string): Promise<CloneBundle[]> {
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{24}\.hg$/.test(n));
    const found = await Promise.all(
      names.map(async (name) => {
        const path = join(dir, name);
        const [info, spec] = await Promise.all([stat(path).catch(() => undefined), readFile(path.replace(/\.hg$/, '.spec'), 'utf8').catch(() => undefined)]);
        return info && spec ? { bundle: { name, path, spec: spec.trim(), size: info.size }, at: info.mtimeMs } : undefined;
      }),
    );
    return found
      .filter((f): f is { bundle: CloneBundle; at: number } => f !== undefined)
      .sort((a, b) => b.at - a.at)
      .map((f) => f.bundle);
  }
}

/**
 * A stream bundle copies the store files, obsolescence markers included, which a client without
 * evolve cannot take (hg aborts, or warns on every later command). A repo with markers gets a
 * changegroup bundle instead: its visible changesets, and the markers as an advisory part that
 * evolve clients apply and others skip — the same result as a clone without a bundle.
 */
async function bundleTypeOf(repoDir: string): Promise<string> {
  const markers = await stat(join(repoDir, '.hg', 'store', 'obsstore')).then((s) => s.size > 0, () => false);
  return markers ? 'zstd-v2;obsolescence=yes;obsolescence-mandatory=no' : 'none-v2;stream=v2';
}

/** Bytes of the files under `dir`. */
async function treeSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await treeSize(path);
    else if (entry.isFile()) total += (await stat(path).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
