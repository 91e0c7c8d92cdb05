import { spawn } from 'node:child_process';
import { FerryError } from '../domain/errors.js';
import type { RepoKind } from '../domain/repo-kind.js';
import { repoFingerprint } from '../vcs/fingerprint.js';
import { TOPIC_REF_PREFIX } from '../vcs/hg/browse.js';
import { runProcess } from '../vcs/process.js';
import { parseTar, type TarEntry } from './tar.js';

export interface Program {
  readonly executable: string;
  readonly env: NodeJS.ProcessEnv;
}

/** What the CDN reads from a repository: its refs, commit ids, and the tree of one commit. */
export interface RefTable {
  readonly branches: ReadonlyMap<string, string>;
  readonly tags: ReadonlyMap<string, string>;
  readonly defaultBranch: string;
}

export interface RepoSource {
  readonly kind: RepoKind;
  readonly dir: string;
}

/** Reads repositories with as few process starts as each VCS allows (one per question). */
export class VcsReader {
  constructor(private readonly programs: Readonly<Record<RepoKind, Program>>) {}

  async refs(repo: RepoSource): Promise<RefTable> {
    return repo.kind === 'git' ? this.gitRefs(repo.dir) : this.hgRefs(repo.dir);
  }

  /**
   * A cheap summary of the files that change when refs move (no process): lets the CDN notice
   * changes made behind Ferry's back (an admin pushing straight into the directory).
   */
  fingerprint(repo: RepoSource): Promise<string> {
    return repoFingerprint(repo.kind, repo.dir);
  }

  /** The full id of a commit given by a full or abbreviated hex id, or undefined. */
  async commitId(repo: RepoSource, hex: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{4,64}$/.test(hex)) return undefined;
    const p = this.programs[repo.kind];
    const r =
      repo.kind === 'git'
        ? await runProcess(p.executable, ['-C', repo.dir, 'rev-parse', '--verify', '--quiet', `${hex}^{commit}`], { env: p.env, allowFailure: true })
        : await runProcess(p.executable, ['-R', repo.dir, 'log', '-r', `id(${hex})`, '-T', '{node}'], { env: p.env, allowFailure: true });
    const id = r.stdout.toString('utf8').trim();
    return r.code === 0 && /^[0-9a-f]{40,64}$/.test(id) ? id : undefined;
  }

  /** The whole tree of `commit` from one `git archive` / `hg archive` process, parsed in memory. */
  async tree(repo: RepoSource, commit: string, maxBytes: number): Promise<TarEntry[]> {
    const p = this.programs[repo.kind];
    const args =
      repo.kind === 'git'
        ? ['-C', repo.dir, 'archive', '--format=tar', commit]
        : ['-R', repo.dir, 'archive', '-r', commit, '-t', 'tar', '-p', '.', '--config', 'ui.archivemeta=false', '-'];
    return parseTar(await collect(p, args, maxBytes));
  }

  private async gitRefs(dir: string): Promise<RefTable> {
    const p = this.programs.git;
    const [list, head] = await Promise.all([
      runProcess(p.executable, ['-C', dir, 'for-each-ref', '--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname) %(refname)', 'refs/heads', 'refs/tags'], { env: p.env }),
      runProcess(p.executable, ['-C', dir, 'symbolic-ref', '--quiet', 'HEAD'], { env: p.env, allowFailure: true }),
    ]);
    const branches = new Map<string, string>();
    const tags = new Map<string, string>();
    for (const line of list.stdout.toString('utf8').split('\n')) {
      const m = /^(\w+) ([0-9a-f]+) (\w*) ([0-9a-f]*) refs\/(heads|tags)\/(.+)$/.exec(line);
      if (!m) continue;
      const [, type, id, peeledType, peeled, where, name] = m as unknown as [string, string, string, string, string, string, string];
      const commit = type === 'commit' ? id : peeledType === 'commit' ? peeled : undefined;
      if (commit) (where === 'heads' ? branches : tags).set(name, commit);
    }
    const headRef = head.stdout.toString('utf8').trim();
    const defaultBranch = headRef.startsWith('refs/heads/') ? headRef.slice('refs/heads/'.length) : 'main';
    return { branches, tags, defaultBranch };
  }

  /**
   * Named branches (each at its tipmost open head outside topics), bookmarks, tags, and evolve
   * topics as `topic/NAME` (at the topic's tipmost head): mutable refs, like branches.
   */
  private async hgRefs(dir: string): Promise<RefTable> {
    const p = this.programs.hg;
    const template = '{node}\\t{branch}\\t{join(tags, "\\x01")}\\t{join(bookmarks, "\\x01")}\\t{ifcontains(rev, revset("head() and not closed()"), "H", "-")}\\t{rev}\\t{topic}\\n';
    const r = await runProcess(p.executable, ['-R', dir, 'log', '-r', 'head() or tag() or bookmark()', '-T', template], { env: p.env });
    const branches = new Map<string, string>();
    const tags = new Map<string, string>();
    const branchRev = new Map<string, number>();
    const bookmarks = new Map<string, string>();
    const topics = new Map<string, { node: string; rev: number }>();
    for (const line of r.stdout.toString('utf8').split('\n')) {
      const [node, branch, tagList, bookmarkList, head, rev, topic] = line.split('\t');
      if (!node || !branch || rev === undefined) continue;
      for (const t of (tagList ?? '').split('\x01')) if (t && t !== 'tip') tags.set(t, node);
      for (const b of (bookmarkList ?? '').split('\x01')) if (b) bookmarks.set(b, node);
      if (topic) {
        if (head === 'H' && Number(rev) > (topics.get(topic)?.rev ?? -1)) topics.set(topic, { node, rev: Number(rev) });
        continue;
      }
      // A named branch serves its tipmost open head (what `hg update BRANCH` picks).
      if (head === 'H' && Number(rev) > (branchRev.get(branch) ?? -1)) {
        branchRev.set(branch, Number(rev));
        branches.set(branch, node);
      }
    }
    for (const [name, node] of bookmarks) if (!branches.has(name)) branches.set(name, node);
    for (const [name, { node }] of topics) if (!branches.has(`${TOPIC_REF_PREFIX}${name}`)) branches.set(`${TOPIC_REF_PREFIX}${name}`, node);
    return { branches, tags, defaultBranch: 'default' };
  }
}

/** Runs a program and keeps its stdout in memory, refusing (and killing it) past `maxBytes`. */
function collect(p: Program, args: readonly string[], maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(p.executable, args, { env: p.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let tooLarge = false;
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > maxBytes) {
        tooLarge = true;
        child.kill('SIGKILL');
        return;
      }
      chunks.push(b);
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('error', (e) => reject(new FerryError('FERRY_VCS_FAILED', `could not run ${p.executable}: ${e.message}`, { cause: e })));
    child.on('close', (code) => {
      if (tooLarge) {
        reject(new FerryError('FERRY_TOO_LARGE', `the tree is larger than the CDN's memory budget ([cdn] memory, ${maxBytes} bytes)`));
      } else if (code !== 0) {
        const last = stderr.trim().split('\n').pop() ?? `exit ${code}`;
        reject(new FerryError('FERRY_VCS_FAILED', `${p.executable.split('/').pop()} archive failed: ${last}`));
      } else {
        resolve(Buffer.concat(chunks, size));
      }
    });
  });
}
