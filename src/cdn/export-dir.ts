import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readlink, rename, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { InvalidInputError } from '../domain/errors.js';
import type { Snapshot } from './snapshot.js';
import { resolveTreeLink } from './tree-links.js';
import { decodeBytes, encodeBytes } from '../domain/byte-names.js';

export interface ExportProgress {
  (done: { files: number; bytes: number; total: number }): void;
}

export interface ExportResult {
  readonly files: number;
  readonly bytes: number;
  /** Files over [cdn] max_file_size, which the CDN does not serve, were left out. */
  readonly skipped: readonly string[];
}

/**
 * Writes `snapshot` so that `dir` switches from the old tree to the new one in one step: the new
 * tree goes into a fresh directory beside it (`.NAME.ferry/COMMIT-…`), then `dir` — a symlink —
 * is replaced by rename. Readers see the old tree or the new one, never a mix.
 */
export async function exportSnapshot(snapshot: Snapshot, dir: string, progress: ExportProgress = () => {}): Promise<ExportResult> {
  const versions = join(dirname(dir), `.${basename(dir)}.ferry`);
  await prepareTarget(dir, versions);
  await mkdir(versions, { recursive: true });
  const name = `${snapshot.commit.slice(0, 12)}-${Date.now()}-${randomBytes(3).toString('hex')}`;
  const building = join(versions, `tmp-${name}`);
  await mkdir(building);
  const skipped: string[] = [];
  let files = 0;
  let bytes = 0;
  const total = snapshot.files.size;
  const made = new Set<string>();
  const entries = [...snapshot.files];
  // Every link's target, read before any is written: whether one stays inside depends on the others.
  const links = new Map<string, string>();
  for (const [path, node] of entries) if (node.kind === 'symlink') links.set(path, decodeBytes((await snapshot.blob(node, path)).data));
  const write = async ([path, node]: (typeof entries)[number]): Promise<void> => {
    const target = join(building, ...path.split('/'));
    const parent = dirname(target);
    if (!made.has(parent)) {
      await mkdir(encodeBytes(parent), { recursive: true });
      made.add(parent);
    }
    if (node.kind === 'too-large') {
      skipped.push(path);
      return;
    }
    const data = (await snapshot.blob(node, path)).data;
    if (node.kind === 'symlink') {
      // Only links that stay inside the tree when followed (through the tree's other links too);
      // anything else could expose the host to a web server serving the directory.
      if (resolveTreeLink(links, path) !== undefined) await symlink(data, encodeBytes(target));
      else skipped.push(path);
      return;
    }
    // A name's bytes as committed, also when they are not UTF-8 (src/domain/byte-names.ts).
    await writeFile(encodeBytes(target), data, { mode: node.executable ? 0o755 : 0o644 });
    files++;
    bytes += data.length;
    if (files % 500 === 0) progress({ files, bytes, total });
  };
  try {
    for (let i = 0; i < entries.length; i += 32) await Promise.all(entries.slice(i, i + 32).map(write));
    const final = join(versions, name);
    await rename(building, final);
    const link = join(dirname(dir), `.${basename(dir)}.ferry-link-${randomBytes(4).toString('hex')}`);
    await symlink(relative(dirname(dir), final), link);
    await rename(link, dir);
    await removeOldVersions(versions, name);
  } catch (err) {
    await rm(building, { recursive: true, force: true });
    throw err;
  }
  progress({ files, bytes, total });
  return { files, bytes, skipped };
}

/** Refuses (without touching anything) a `dir` that ferry publish may not take over. */
export async function checkPublishTarget(dir: string): Promise<void> {
  const versions = join(dirname(dir), `.${basename(dir)}.ferry`);
  const info = await lstat(dir).catch(() => undefined);
  if (!info) return;
  if (info.isSymbolicLink() && join(dirname(dir), await readlink(dir)).startsWith(`${versions}/`)) return;
  if (info.isDirectory() && !info.isSymbolicLink() && (await readdir(dir)).length === 0) return;
  throw new InvalidInputError(`${dir} already exists and was not made by ferry publish: remove it or choose another --dir`);
}

/** `dir` may be missing, an empty directory (replaced) or a symlink Ferry made; nothing else. */
async function prepareTarget(dir: string, versions: string): Promise<void> {
  let info;
  try {
    info = await lstat(dir);
  } catch {
    await mkdir(dirname(dir), { recursive: true });
    return;
  }
  if (info.isSymbolicLink()) {
    const target = await readlink(dir);
    if (join(dirname(dir), target).startsWith(`${versions}/`)) return;
  } else if (info.isDirectory() && (await readdir(dir)).length === 0) {
    await rmdir(dir);
    return;
  }
  throw new InvalidInputError(`${dir} already exists and was not made by ferry publish: remove it or choose another --dir`);
}

/** Old trees go; another writer's tree in progress (`tmp-…`) stays unless it was abandoned long ago. */
async function removeOldVersions(versions: string, keep: string): Promise<void> {
  for (const name of await readdir(versions)) {
    if (name === keep) continue;
    const path = join(versions, name);
    if (name.startsWith('tmp-')) {
      const info = await lstat(path).catch(() => undefined);
      if (!info || Date.now() - info.mtimeMs < 3_600_000) continue;
    }
    await rm(path, { recursive: true, force: true });
  }
}
