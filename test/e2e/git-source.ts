import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, type Client } from './harness.js';

export interface GitSource {
  /** Directory served by git http-backend; the repo is `${root}/src.git`. */
  readonly root: string;
  readonly bare: string;
  readonly work: string;
  /** Commits a change in the work tree and pushes it (force when asked); returns the new id. */
  commit(message: string, options?: { branch?: string; force?: boolean }): Promise<string>;
  git(...args: string[]): Promise<string>;
}

/** A bare repo with two branches, an annotated and a lightweight tag, and a 3 MB blob. */
export async function makeGitSource(client: Client): Promise<GitSource> {
  const root = tempDir('ferry-gitsrc-');
  const bare = join(root, 'src.git');
  const work = join(root, 'work');
  const git = async (...args: string[]) => {
    const r = await client.git(args);
    assert.equal(r.code, 0, `git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  await git('init', '--bare', '--quiet', bare);
  await git('init', '--quiet', work);
  writeFileSync(join(work, 'a.txt'), 'one\n');
  writeFileSync(join(work, 'big.bin'), randomBytes(3 * 1024 * 1024));
  await git('-C', work, 'add', '-A');
  await git('-C', work, 'commit', '--quiet', '-m', 'first with a large file');
  await git('-C', work, 'tag', '-a', '-m', 'release', 'v1.0');
  await git('-C', work, 'tag', 'light');
  await git('-C', work, 'checkout', '--quiet', '-b', 'feature');
  writeFileSync(join(work, 'b.txt'), 'feature\n');
  await git('-C', work, 'add', '-A');
  await git('-C', work, 'commit', '--quiet', '-m', 'feature');
  await git('-C', work, 'checkout', '--quiet', 'main');
  await git('-C', work, 'push', '--quiet', bare, 'main', 'feature', '--tags');
  let n = 0;
  return {
    root,
    bare,
    work,
    git,
    async commit(message, options = {}) {
      const branch = options.branch ?? 'main';
      await git('-C', work, 'checkout', '--quiet', branch);
      writeFileSync(join(work, `change-${n++}.txt`), `${message}\n`);
      await git('-C', work, 'add', '-A');
      await git('-C', work, 'commit', '--quiet', '-m', message);
      await git('-C', work, 'push', '--quiet', ...(options.force ? ['--force'] : []), bare, branch);
      return git('-C', work, 'rev-parse', 'HEAD');
    },
  };
}

/** Waits (bounded) until `check` holds; for background work such as scheduled syncs. */
export async function eventually(what: string, check: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`gave up waiting: ${what}`);
}
