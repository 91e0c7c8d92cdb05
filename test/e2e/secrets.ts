import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The forms a secret could be stored in without being itself: as is, base64 and base64url (at each
 * of the three alignments it can take inside a longer encoded run), hex, URL-encoded, UTF-16.
 */
export function encodings(secret: string | Buffer): Buffer[] {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  const forms: Buffer[] = [bytes, Buffer.from(bytes.toString('hex')), Buffer.from(bytes.toString('hex').toUpperCase())];
  if (typeof secret === 'string') {
    forms.push(Buffer.from(encodeURIComponent(secret)), Buffer.from(secret, 'utf16le'));
  }
  for (const encoding of ['base64', 'base64url'] as const) {
    for (let shift = 0; shift < 3; shift++) {
      const text = Buffer.concat([Buffer.alloc(shift), bytes]).toString(encoding);
      // Characters touched by the shift's zeros at the start, or by padding at the end, vary.
      const core = text.slice(Math.ceil((shift * 4) / 3), text.length - 4);
      if (core.length >= 8) forms.push(Buffer.from(core));
    }
  }
  return forms;
}

/** Every regular file under `dir` (symlinks not followed). */
function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isDirectory()) yield* files(path);
    else if (stat.isFile()) yield path;
  }
}

/**
 * Fails unless no file under `dir` holds any of `secrets` in any of its encodings. Reads the files
 * itself (a failing grep would pass), and fails too when it found no file to read.
 * @returns how many files were searched.
 */
export function assertStoredNowhere(dir: string, secrets: readonly (string | Buffer)[], what: string): number {
  const needles = secrets.flatMap(encodings);
  let searched = 0;
  for (const file of files(dir)) {
    const bytes = readFileSync(file);
    searched++;
    for (const needle of needles) assert.ok(!bytes.includes(needle), `${what}: found in ${file} (as ${JSON.stringify(needle.toString('latin1').slice(0, 40))})`);
  }
  assert.ok(searched > 0, `${what}: no file to search under ${dir}`);
  return searched;
}
