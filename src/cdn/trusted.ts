import type { Config } from '../config/load.js';

/** `[cdn] trusted`: repos whose HTML and SVG are served without the sandbox CSP. */
export function trustedRepos(config: Pick<Config, 'cdn'>): ReadonlySet<string> {
  return new Set(config.cdn.trusted.split(/[\s,]+/).filter(Boolean));
}
