import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { VcsAdapter } from '../types.js';
import { runProcess } from '../process.js';

export class HgAdapter implements VcsAdapter {
  readonly kind = 'hg' as const;

  constructor(
    readonly executable: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  async init(dir: string): Promise<void> {
    await runProcess(this.executable, ['init', '--', dir], { env: this.env });
  }

  isRepository(dir: string): boolean {
    return existsSync(join(dir, '.hg', 'requires')) || existsSync(join(dir, '.hg', '00changelog.i'));
  }
}
