import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const BEGIN = '# ferry:phases begin (written by `ferry repo set`; edits are overwritten)';
const END = '# ferry:phases end';

/**
 * Writes a repo's phase setting into its own `.hg/hgrc` — the one per-repo file every hg process
 * (ssh serve, chg, hgweb, the command servers) reads after Ferry's HGRCPATH, so all transports
 * agree. Only Ferry writes this file (clients cannot): a non-publishing repo gets
 * `[phases] publish = false` in a block Ferry owns; anything else in the file (an import's
 * `[paths]`) is kept. Publishing (hg's default, and Ferry's HGRCPATH) removes the block.
 * See `hg help config.phases.publish`.
 */
export async function writeRepoPhases(repoDir: string, publishing: boolean): Promise<void> {
  const path = join(repoDir, '.hg', 'hgrc');
  const current = existsSync(path) ? await readFile(path, 'utf8') : '';
  const kept = withoutBlock(current);
  const block = publishing ? '' : `${BEGIN}\n[phases]\npublish = false\n${END}\n`;
  const next = kept === '' ? block : block === '' ? kept : `${kept.endsWith('\n') ? kept : `${kept}\n`}${block}`;
  if (next === current) return;
  if (next === '') {
    await rm(path, { force: true });
    return;
  }
  const tmp = `${path}.ferry-tmp`;
  await writeFile(tmp, next, { mode: 0o644 });
  await rename(tmp, path);
}

function withoutBlock(text: string): string {
  const start = text.indexOf(BEGIN);
  if (start < 0) return text;
  const end = text.indexOf(END, start);
  const after = end < 0 ? '' : text.slice(end + END.length).replace(/^\n/, '');
  return text.slice(0, start) + after;
}
