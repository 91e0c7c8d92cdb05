import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import type { InitOptions, ObjectFormat, VcsAdapter } from '../types.js';
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

  /**
   * A bare repo whose HEAD names `main` until the first branch is pushed (settleGitHead). What
   * serving checks (fsck on receive, partial clone) comes from server-config.ts at each run.
   */
  async init(dir: string, options: InitOptions = {}): Promise<void> {
    await runProcess(this.executable, ['init', '--quiet', '--bare', '--initial-branch=main', `--object-format=${options.objectFormat ?? 'sha1'}`, '--', dir], { env: this.env });
    // Keep reflogs for safety.
    await runProcess(this.executable, ['-C', dir, 'config', 'core.logAllRefUpdates', 'true'], { env: this.env });
    await runProcess(this.executable, ['-C', dir, 'config', 'receive.fsckObjects', 'true'], { env: this.env });
  }

  /** True when the repo has no refs at all (nothing was ever pushed, or a push failed). */
  async isEmpty(dir: string): Promise<boolean> {
    const r = await runProcess(this.executable, ['-C', dir, 'for-each-ref', '--count=1', '--format=x'], { env: this.env, allowFailure: true });
    return r.code === 0 && r.stdout.length === 0;
  }

  /**
   * An empty, unregistered repo of `format` under `root`, made once: what a client about to create a
   * repo by pushing over HTTP is shown, so that no repo is registered before a push succeeds.
   */
  async emptyTemplate(root: string, format: ObjectFormat = 'sha1'): Promise<{ root: string; name: string }> {
    const name = `empty-${format}.git`;
    const dir = join(root, name);
    if (!this.isRepository(dir)) {
      await mkdir(root, { recursive: true });
      const tmp = await mkdtemp(join(root, '.make-'));
      await this.init(join(tmp, 'r'), { objectFormat: format });
      await rename(join(tmp, 'r'), dir).catch(() => undefined); // another request made it first
      await rm(tmp, { recursive: true, force: true });
    }
    return { root, name };
  }

  isRepository(dir: string): boolean {
    return existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects'));
  }
}
