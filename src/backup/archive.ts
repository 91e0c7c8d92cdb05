import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract, pack } from 'tar-stream';
import { FerryError } from '../domain/errors.js';
import { BACKUP_FORMAT, MANIFEST_NAME, type FileEntry, type Manifest } from './manifest.js';

/** SHA-256 (hex) and size of a file, read as a stream. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Every regular file under `root`, as `/`-separated paths relative to it, sorted. */
export async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/**
 * Writes `manifest` then every file it lists (read from `root`) as one POSIX tar at `file`,
 * through `file.partial` renamed at the end, so a half-written archive never has the final name.
 * `onFile` is told each file as it is written (progress).
 */
export async function writeArchive(file: string, root: string, manifest: Manifest, onFile: (entry: FileEntry, index: number) => void = () => {}): Promise<void> {
  const partial = `${file}.partial`;
  const tar = pack();
  const written = pipeline(tar, createWriteStream(partial, { mode: 0o600 }));
  try {
    await addEntry(tar, { name: MANIFEST_NAME, size: 0 }, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    for (const [i, entry] of manifest.files.entries()) {
      onFile(entry, i);
      await addEntry(tar, entry, join(root, ...entry.name.split('/')));
    }
    tar.finalize();
    await written;
    await rename(partial, file);
  } catch (err) {
    tar.destroy();
    await written.catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  }
}

function addEntry(tar: ReturnType<typeof pack>, entry: { name: string; size: number }, content: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (Buffer.isBuffer(content)) {
      tar.entry({ name: entry.name, size: content.length, mode: 0o600, type: 'file' }, content, (err) => (err ? reject(err) : resolve()));
      return;
    }
    const sink = tar.entry({ name: entry.name, size: entry.size, mode: 0o600, type: 'file' }, (err) => (err ? reject(err) : resolve()));
    pipeline(createReadStream(content), sink).catch(reject);
  });
}

/** A damaged or foreign archive: a clear one-line error that says what to do. */
export function corrupt(file: string, why: string): FerryError {
  return new FerryError('FERRY_BACKUP_CORRUPT', `${file} is not a usable Ferry backup: ${why}; restore from another copy of the backup`, { data: { file } });
}

/**
 * Reads a backup archive into `dest` (created), checking every file against the manifest's size
 * and SHA-256 as it is written, and that the archive holds exactly the files the manifest lists.
 * Entry names are checked to stay inside `dest` (no absolute paths, no `..`, regular files only).
 * @returns the manifest.
 * @throws FerryError FERRY_BACKUP_CORRUPT on any mismatch, an unreadable manifest or a foreign format.
 */
export async function readArchive(file: string, dest: string, onFile: (entry: FileEntry, index: number, total: number) => void = () => {}): Promise<Manifest> {
  await mkdir(dest, { recursive: true });
  const tar = extract();
  const source = pipeline(createReadStream(file), tar);
  let manifest: Manifest | undefined;
  let expected = new Map<string, FileEntry>();
  const seen = new Set<string>();
  try {
    for await (const entry of tar) {
      const name = entry.header.name;
      if (manifest === undefined) {
        if (name !== MANIFEST_NAME) throw corrupt(file, `it does not start with ${MANIFEST_NAME}`);
        manifest = parseManifest(file, Buffer.concat(await collect(entry)).toString('utf8'));
        expected = new Map(manifest.files.map((f) => [f.name, f]));
        continue;
      }
      const want = expected.get(name);
      if (want === undefined || entry.header.type !== 'file' || seen.has(name)) throw corrupt(file, `it holds ${JSON.stringify(name)}, which its manifest does not list`);
      const target = insideOf(dest, name);
      if (target === undefined) throw corrupt(file, `entry ${JSON.stringify(name)} points outside the data dir`);
      onFile(want, seen.size, expected.size);
      seen.add(name);
      await mkdir(dirname(target), { recursive: true });
      const hash = createHash('sha256');
      let size = 0;
      entry.on('data', (data: unknown) => {
        const chunk = data as Buffer;
        hash.update(chunk);
        size += chunk.length;
      });
      await pipeline(entry, createWriteStream(target, { mode: 0o600 }));
      if (size !== want.size || hash.digest('hex') !== want.sha256) throw corrupt(file, `the SHA-256 of ${name} does not match its manifest (the archive was damaged)`);
    }
    await source;
  } catch (err) {
    tar.destroy();
    await source.catch(() => undefined);
    if (err instanceof FerryError) throw err;
    throw corrupt(file, `it cannot be read as a tar archive (${(err as Error).message})`);
  }
  if (manifest === undefined) throw corrupt(file, 'it is empty');
  const missing = manifest.files.filter((f) => !seen.has(f.name));
  if (missing.length > 0) throw corrupt(file, `it ends before ${missing[0]?.name} (truncated?)`);
  return manifest;
}

async function collect(entry: AsyncIterable<unknown>): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  return chunks;
}

function parseManifest(file: string, text: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt(file, 'its manifest is not valid JSON');
  }
  const m = value as Partial<Manifest> | null;
  if (m === null || typeof m !== 'object' || !Array.isArray(m.files) || !Array.isArray(m.repos)) throw corrupt(file, 'its manifest lacks files or repos');
  if (m.format !== BACKUP_FORMAT) throw corrupt(file, `its format ${String(m.format)} is not the one this Ferry reads (${BACKUP_FORMAT})`);
  return m as Manifest;
}

/** `root/name` when `name` is a plain relative path that stays inside `root`; undefined otherwise. */
function insideOf(root: string, name: string): string | undefined {
  if (name.startsWith('/') || name.includes('\\') || name.split('/').some((s) => s === '..' || s === '')) return undefined;
  const target = normalize(join(root, name));
  const rel = relative(root, target);
  return rel.startsWith('..') || rel === '' ? undefined : target;
}
