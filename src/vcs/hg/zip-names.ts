import { join } from 'node:path';
import { writeSharedFile } from '../../storage/shared-files.js';

/**
 * Ferry's extension that lets `hg archive -t zip` write file names that are not UTF-8. hg keeps
 * file names as bytes and hands them to Python's zipfile as `fsdecode`d strings (surrogate
 * escapes, PEP 383); zipfile then tries ASCII, then UTF-8 with the language-encoding flag, and
 * raises on the surrogates (hg 6.3 aborts with "surrogates not allowed" mid-archive, so a download
 * was cut short). With this, such a name is written as its own bytes without the UTF-8 flag
 * (APPNOTE.TXT 4.4.4 bit 11), as `git archive --format=zip` writes it; every other name as before.
 */
export const ZIP_NAMES_EXTENSION = `# Written by Ferry on every start; edits are overwritten.
import zipfile

_encode = zipfile.ZipInfo._encodeFilenameFlags


def _encode_bytes(self):
    try:
        return _encode(self)
    except UnicodeEncodeError:
        return self.filename.encode('utf-8', 'surrogateescape'), self.flag_bits & ~0x800


def uisetup(ui):
    if getattr(zipfile.ZipInfo._encodeFilenameFlags, 'ferry', False):
        return
    _encode_bytes.ferry = True
    zipfile.ZipInfo._encodeFilenameFlags = _encode_bytes
`;

/** Writes `DIR/ferry_zipnames.py` and returns its path, for the `[extensions]` section. */
export function writeZipNamesExtension(dir: string): string {
  const path = join(dir, 'ferry_zipnames.py');
  writeSharedFile(path, ZIP_NAMES_EXTENSION);
  return path;
}
