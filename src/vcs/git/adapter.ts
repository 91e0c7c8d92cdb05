import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { VcsAdapter } from '../types.js';
import { runProcess } from '../process.js';

export function gitEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    PATH: base.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: base.HOME ?? '/nonexistent',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
  };
}

export class GitAdapter implements VcsAdapter {
  readonly kind = 'git' as const;

  constructor(
    readonly executable: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  async init(dir: string): Promise<void> {
    await runProcess(this.executable, ['init', '--quiet', '--bare', '--initial-branch=main', '--', dir], { env: this.env });
    // Allow pushes of any size and refuse nothing that git itself accepts; keep reflogs for safety.
    await runProcess(this.executable, ['-C', dir, 'config', 'core.logAllRefUpdates', 'true'], { env: this.env });
    await runProcess(this.executable, ['-C', dir, 'config', 'receive.fsckObjects', 'true'], { env: this.env });
  }

  isRepository(dir: string): boolean {
    return existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects'));
  }
}
