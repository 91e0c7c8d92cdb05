import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, RunResult } from './harness.js';

/** A client's hg with evolve and topic enabled (Debian's mercurial-evolve), as teams that rewrite drafts use it. */
export const EVOLVE = ['--config', 'extensions.evolve=', '--config', 'extensions.topic='];

/** Asserts a command exited 0, with its output in the message; returns it. */
export function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what}: ${r.stderr}${r.stdout}`);
  return r;
}

/** Writes `content` to `file` in the working copy `dir` and commits it (adding it) with `message`. */
export function commit(client: Client, dir: string, file: string, content: string, message: string, extra: readonly string[] = []): Promise<RunResult> {
  writeFileSync(join(dir, file), content);
  return client.hg([...extra, '-R', dir, 'commit', '-A', '-m', message]);
}
