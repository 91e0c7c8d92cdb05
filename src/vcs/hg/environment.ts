import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The only Mercurial configuration Ferry's hg processes read: HGRCPATH points at this file, so
 * neither /etc/mercurial nor any user's ~/.hgrc applies, and no client word ever becomes config.
 */
export const FERRY_HGRC = `# Written by Ferry on every start; edits are overwritten.
[ui]
interactive = false
report_untrusted = false
[phases]
publish = true
[server]
bundle1 = false
uncompressed = true
validate = true
[experimental]
[web]
allow-push = *
push_ssl = false
`;

export function writeHgrc(dataDir: string): string {
  const dir = join(dataDir, 'etc');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'hgrc');
  writeFileSync(path, FERRY_HGRC);
  return path;
}

/** Environment for every hg process Ferry spawns. */
export function hgEnvironment(hgrcPath: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    PATH: base.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: base.HOME ?? '/nonexistent',
    HGRCPATH: hgrcPath,
    HGPLAIN: '1',
    HGENCODING: 'utf-8',
    CHGHG: undefined,
  };
}
