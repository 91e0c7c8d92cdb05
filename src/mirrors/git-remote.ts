import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FerryError } from '../domain/errors.js';
import { fsckLeniency } from '../vcs/git/server-config.js';
import { runProcess } from '../vcs/process.js';
import type { SourceAccess } from './access.js';
import type { TransferProgress } from './progress.js';
import { compareMaps, describeDifferences, lastWords, type RemoteVcs, type SyncOutcome } from './remote.js';
import type { ImportSource } from './url-safety.js';

/**
 * Git sources. Every git process that talks to a source gets `-c protocol.allow=never` with only
 * ssh/https/http (and file for an admin's local path) allowed, no hooks, no credential helper and
 * no submodule recursion.
 */
/** Where `unknownToSource` keeps the source's refs while it compares. */
const CHECK_NS = 'refs/ferry-mirror-check/';

export class GitRemote implements RemoteVcs {
  readonly kind = 'git' as const;

  constructor(private readonly git: string) {}

  async probe(source: ImportSource, access: SourceAccess): Promise<boolean> {
    if (source.scheme === 'file') {
      const dir = source.location;
      return existsSync(join(dir, '.git')) || (existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects')));
    }
    const r = await runProcess(this.git, [...access.gitConfig, 'ls-remote', '--heads', '--', source.location], { env: access.gitEnv, signal: access.signal, allowFailure: true });
    return r.code === 0;
  }

  async clone(source: ImportSource, dest: string, access: SourceAccess, progress: TransferProgress): Promise<void> {
    await runProcess(this.git, [...access.gitConfig, 'clone', '--mirror', '--no-recurse-submodules', '--progress', '--', source.location, dest], {
      env: access.gitEnv, signal: access.signal,
      onStderr: (b) => progress.note(b),
    });
  }

  async finish(_source: ImportSource, dest: string, options: { keepRemote: boolean }): Promise<void> {
    const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    if (!options.keepRemote) {
      // Not `git remote remove`: with a mirror refspec (refs/*) it would delete every ref.
      await runProcess(this.git, ['-C', dest, 'config', '--remove-section', 'remote.origin'], { env, allowFailure: true });
    }
    await runProcess(this.git, ['-C', dest, 'config', 'core.logAllRefUpdates', 'true'], { env });
    await runProcess(this.git, ['-C', dest, 'config', 'receive.fsckObjects', 'true'], { env });
  }

  async verify(source: ImportSource, dest: string, access: SourceAccess): Promise<string> {
    const env = access.gitEnv;
    const [, theirs, ours, objects, sourceObjects] = await Promise.all([
      runProcess(this.git, [...fsckLeniency(), '-C', dest, 'fsck', '--no-progress', '--no-dangling'], { env }).catch((err: unknown) => {
        throw new FerryError('FERRY_VERIFY_FAILED', `git fsck failed on the copy: ${lastWords(err)}`, { cause: err });
      }),
      this.remoteRefs(source, access),
      this.localRefs(dest, env),
      this.objectCount(dest, env),
      source.scheme === 'file' ? this.objectCount(source.location, env) : Promise.resolve(undefined),
    ]);
    const diffs = compareMaps('ref', theirs, ours);
    if (sourceObjects !== undefined && sourceObjects !== objects) diffs.push(`the source reaches ${sourceObjects} objects from its refs, the copy ${objects}`);
    if (diffs.length > 0) {
      throw new FerryError('FERRY_VERIFY_FAILED', `the copy differs from ${source.display}: ${describeDifferences(diffs)}`, { data: { diffs } });
    }
    return `${ours.size} refs, ${objects} objects, verified`;
  }

  /**
   * Fetches the source's branches and tags under a private namespace, lists the commits of the
   * repo's own branches and tags that none of them reach, and drops the namespace again (the
   * objects stay: the first sync needs them anyway).
   */
  async unknownToSource(source: ImportSource, dir: string, access: SourceAccess): Promise<string[]> {
    const env = access.gitEnv;
    const fetched = await runProcess(
      this.git,
      [...access.gitConfig, '-C', dir, 'fetch', '--no-recurse-submodules', '--no-write-fetch-head', '--no-tags', '--', source.location, `+refs/heads/*:${CHECK_NS}heads/*`, `+refs/tags/*:${CHECK_NS}tags/*`],
      { env, signal: access.signal, allowFailure: true },
    );
    try {
      if (fetched.code !== 0) {
        throw new FerryError('FERRY_IMPORT_FAILED', `git fetch from ${source.display} failed: ${lastWords(new FerryError('FERRY_VCS_FAILED', `exit ${fetched.code}`, { data: { stderr: fetched.stderr } }))}`);
      }
      const r = await runProcess(this.git, ['-C', dir, 'rev-list', '--branches', '--tags', '--not', `--glob=${CHECK_NS}*`], { env });
      const extra = r.stdout.toString('utf8').split('\n').filter(Boolean);
      return extra.length === 0 ? [] : [`${extra.length} commit(s) not in the source (${extra.slice(0, 3).map((n) => n.slice(0, 12)).join(', ')})`];
    } finally {
      const refs = await runProcess(this.git, ['-C', dir, 'for-each-ref', '--format=delete %(refname)', CHECK_NS], { env, allowFailure: true });
      await runProcess(this.git, ['-C', dir, 'update-ref', '--stdin'], { env, input: refs.stdout, allowFailure: true });
    }
  }

  async pull(source: ImportSource, dir: string, access: SourceAccess, options: { allowForce: boolean }, progress: TransferProgress): Promise<SyncOutcome> {
    const env = access.gitEnv;
    const before = await this.localRefs(dir, env);
    const upstream = await this.remoteRefs(source, access);
    const deleted = [...before.keys()].filter((ref) => !upstream.has(ref));
    const args = [...access.gitConfig, '-C', dir, 'fetch', '--no-recurse-submodules', '--progress', '--no-write-fetch-head'];
    if (options.allowForce) args.push('--prune');
    args.push('--', source.location, options.allowForce ? '+refs/*:refs/*' : 'refs/*:refs/*');
    const r = await runProcess(this.git, args, { env, signal: access.signal, allowFailure: true, onStderr: (b) => progress.note(b) });
    const rejected = [...r.stderr.matchAll(/\[rejected\]\s+\S+\s+->\s+(\S+)\s+\(([^)]+)\)/g)].map((m) => `${m[1]} (${m[2]})`);
    if (r.code !== 0 && rejected.length === 0) {
      throw new FerryError('FERRY_IMPORT_FAILED', `git fetch from ${source.display} failed: ${lastWords(new FerryError('FERRY_VCS_FAILED', `exit ${r.code}`, { data: { stderr: r.stderr } }))}`);
    }
    const after = await this.localRefs(dir, env);
    const changed = compareMaps('ref', before, after).length > 0;
    const updated = compareMaps('ref', before, after).length;
    const summary = changed ? `${updated} ref(s) updated` : 'no changes';
    if (options.allowForce) return { changed, summary };
    const refused: string[] = [];
    if (rejected.length > 0) refused.push(`upstream rewrote ${rejected.join(', ')}`);
    if (deleted.length > 0) refused.push(`upstream deleted ${deleted.join(', ')}`);
    if (refused.length === 0) return { changed, summary };
    return {
      changed,
      summary,
      refused: `${refused.join('; ')}; the mirror kept its versions (sync with --allow-force to follow history rewrites)`,
    };
  }

  private async remoteRefs(source: ImportSource, access: SourceAccess): Promise<Map<string, string>> {
    const r = await runProcess(this.git, [...access.gitConfig, 'ls-remote', '--', source.location], { env: access.gitEnv, signal: access.signal });
    const map = new Map<string, string>();
    for (const line of r.stdout.toString('utf8').split('\n')) {
      const [id, ref] = line.split('\t');
      if (id && ref && ref.startsWith('refs/') && !ref.endsWith('^{}')) map.set(ref, id);
    }
    return map;
  }

  private async localRefs(dir: string, env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
    const r = await runProcess(this.git, ['-C', dir, 'for-each-ref', '--format=%(objectname) %(refname)'], { env });
    const map = new Map<string, string>();
    for (const line of r.stdout.toString('utf8').split('\n')) {
      const [id, ref] = line.split(' ');
      if (id && ref) map.set(ref, id);
    }
    return map;
  }

  private async objectCount(dir: string, env: NodeJS.ProcessEnv): Promise<number> {
    const r = await runProcess(this.git, ['-C', dir, 'rev-list', '--all', '--objects'], { env });
    let n = 0;
    for (const b of r.stdout) if (b === 10) n++;
    return n;
  }
}
