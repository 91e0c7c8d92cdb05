import { FerryError } from '../domain/errors.js';

/** One member of a tar archive, as `git archive` and `hg archive` write them. */
export type TarEntry =
  | { readonly type: 'file'; readonly path: string; readonly data: Buffer; readonly executable: boolean }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string }
  | { readonly type: 'dir'; readonly path: string };

const BLOCK = 512;

/**
 * Parses a whole tar archive held in memory: ustar headers, pax extended headers (`path`,
 * `linkpath`, `size`), GNU long names. Symlinks are recorded as links, never followed; hard links,
 * devices and fifos are skipped. File data is copied out so the archive buffer can be dropped.
 */
export function parseTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let pax: Record<string, string> = {};
  let globalPax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    if (!checksumOk(header)) throw new FerryError('FERRY_VCS_FAILED', `corrupt tar header at byte ${offset}`);
    const typeflag = String.fromCharCode(header[156] as number);
    const overrides = { ...globalPax, ...pax };
    const size = overrides.size !== undefined ? Number(overrides.size) : readSize(header.subarray(124, 136));
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (!Number.isSafeInteger(size) || size < 0 || dataEnd > archive.length) throw new FerryError('FERRY_VCS_FAILED', `truncated tar member at byte ${offset}`);
    const body = archive.subarray(dataStart, dataEnd);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    switch (typeflag) {
      case 'x':
        pax = parsePax(body);
        continue;
      case 'g':
        globalPax = parsePax(body);
        delete globalPax.comment;
        continue;
      case 'L':
        longName = cString(body);
        continue;
      case 'K':
        longLink = cString(body);
        continue;
    }
    const ustar = header.subarray(257, 262).toString('latin1') === 'ustar';
    const prefix = ustar ? cString(header.subarray(345, 500)) : '';
    const rawName = overrides.path ?? longName ?? (prefix ? `${prefix}/${cString(header.subarray(0, 100))}` : cString(header.subarray(0, 100)));
    const linkName = overrides.linkpath ?? longLink ?? cString(header.subarray(157, 257));
    pax = {};
    longName = undefined;
    longLink = undefined;
    const path = normalizeMemberPath(rawName);
    if (path === undefined) continue;
    const mode = readOctal(header.subarray(100, 108));
    if (typeflag === '0' || typeflag === '\0' || typeflag === '7') {
      const data = Buffer.allocUnsafeSlow(body.length);
      body.copy(data);
      entries.push({ type: 'file', path, data, executable: (mode & 0o111) !== 0 });
    } else if (typeflag === '2') {
      entries.push({ type: 'symlink', path, target: linkName });
    } else if (typeflag === '5') {
      entries.push({ type: 'dir', path });
    }
  }
  return entries;
}

/** `./a/b/` → `a/b`; refuses absolute paths and `..` (an archive cannot place files outside). */
function normalizeMemberPath(raw: string): string | undefined {
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..') || raw.includes('\0')) return undefined;
  return parts.join('/');
}

function checksumOk(header: Buffer): boolean {
  const stored = readOctal(header.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] as number);
  return sum === stored;
}

function readSize(field: Buffer): number {
  if (((field[0] as number) & 0x80) !== 0) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] as number);
    return n;
  }
  return readOctal(field);
}

function readOctal(field: Buffer): number {
  const s = cString(field).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function cString(field: Buffer): string {
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
}

function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    const space = body.indexOf(0x20, i);
    if (space < 0) break;
    const len = Number(body.subarray(i, space).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0) break;
    const record = body.subarray(space + 1, i + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}
