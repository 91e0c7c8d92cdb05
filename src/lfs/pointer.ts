/** A Git LFS pointer file's contents: the object's SHA-256 and its size in bytes. */
export interface LfsPointer {
  readonly oid: string;
  readonly size: number;
}

/** Pointer files are small; anything bigger is content, not a pointer (git-lfs docs/spec.md: under 1024 bytes). */
export const MAX_POINTER_SIZE = 1024;

/** An object id as Git LFS names it: lower-case hex SHA-256. */
export const OID = /^[0-9a-f]{64}$/;

/**
 * Parses a Git LFS pointer file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md):
 * `version https://git-lfs.github.com/spec/v1`, then `oid sha256:HEX` and `size N` among sorted
 * `key value` lines. Returns undefined for anything else (ordinary content).
 */
export function parseLfsPointer(bytes: Buffer): LfsPointer | undefined {
  if (bytes.length > MAX_POINTER_SIZE || !bytes.subarray(0, 8).equals(Buffer.from('version '))) return undefined;
  const lines = bytes.toString('utf8').split('\n');
  if (lines[0] !== 'version https://git-lfs.github.com/spec/v1' && lines[0] !== 'version https://hawser.github.com/spec/v1') return undefined;
  let oid: string | undefined;
  let size: number | undefined;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const m = /^([a-z0-9.-]+) (.*)$/.exec(line);
    if (!m) return undefined;
    if (m[1] === 'oid') oid = /^sha256:([0-9a-f]{64})$/.exec(m[2] as string)?.[1];
    if (m[1] === 'size') size = /^\d{1,15}$/.test(m[2] as string) ? Number(m[2]) : undefined;
  }
  return oid !== undefined && size !== undefined ? { oid, size } : undefined;
}
