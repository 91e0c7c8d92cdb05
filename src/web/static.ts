import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface StaticAsset {
  readonly url: string;
  readonly body: Buffer;
  readonly type: string;
}

function load(name: string, type: string): StaticAsset {
  // Compiled to dist/src/web/static.js; the sources stay in src/web/static/.
  const body = readFileSync(new URL(`../../../src/web/static/${name}`, import.meta.url));
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
  const [base, ext] = name.split('.');
  return { url: `/-/static/${base}.${hash}.${ext}`, body, type };
}

/** The one stylesheet and the one small script, with content hashes in their URLs (cached for a year). */
export function loadStaticAssets(): { css: StaticAsset; js: StaticAsset } {
  return { css: load('ferry.css', 'text/css; charset=utf-8'), js: load('ferry.js', 'text/javascript; charset=utf-8') };
}
