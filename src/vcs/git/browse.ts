import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess } from '../process.js';
import { sortEntries, type CommitInfo, type RefInfo, type RefLabel, type RepoBrowser, type TreeEntry } from '../browse.js';
import type { ByteCache } from '../byte-cache.js';
import { parseTree, type GitCatFile } from './cat-file.js';

const FS = '\x1f';
const RS = '\x1e';

interface Refs {
  readonly branches: RefInfo[];
  readonly tags: RefInfo[];
  /** commit id → labels pointing at it */
  readonly labels: Map<string, RefLabel[]>;
}

/**
 * Reads a bare git repository: objects through a long-lived `git cat-file --batch`, the log and
 * diffs through `git log` / `git diff-tree` (one process per page, not per element).
 */
export class GitBrowser implements RepoBrowser {
  constructor(
    private readonly catFile: () => GitCatFile,
    private readonly dir: string,
    private readonly executable: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly diffs: ByteCache,
  ) {}

  async defaultBranch(): Promise<string | undefined> {
    const { branches } = await this.refs();
    if (branches.length === 0) return undefined;
    let head = '';
    try {
      head = /^ref: refs\/heads\/(.+)$/m.exec(readFileSync(join(this.dir, 'HEAD'), 'utf8'))?.[1] ?? '';
    } catch {
      /* no HEAD file: fall back to the first branch */
    }
    return (branches.find((b) => b.name === head) ?? branches[0])?.name;
  }

  async resolve(ref: string): Promise<string | undefined> {
    const { branches, tags } = await this.refs();
    const named = branches.find((r) => r.name === ref) ?? tags.find((r) => r.name === ref);
    if (named) return named.id;
    if (!/^[0-9a-f]{4,40}$/.test(ref)) return undefined;
    const obj = await this.catFile().read(`${ref}^{commit}`);
    return obj?.type === 'commit' ? obj.oid : undefined;
  }

  async refNames(): Promise<string[]> {
    const { branches, tags } = await this.refs();
    return [...branches, ...tags].map((r) => r.name);
  }

  async log(options: { ref?: string; offset: number; limit: number }): Promise<CommitInfo[]> {
    let revs: string[] = ['--branches', '--tags'];
    if (options.ref !== undefined) {
      const id = await this.resolve(options.ref);
      if (!id) return [];
      revs = [id];
    }
    const r = await runProcess(
      this.executable,
      ['log', '--date-order', `--format=%H${FS}%P${FS}%an${FS}%ae${FS}%aI${FS}%B${RS}`, `--skip=${Math.trunc(options.offset)}`, `-n${Math.trunc(options.limit)}`, ...revs, '--'],
      { cwd: this.dir, env: { ...this.env, GIT_DIR: this.dir }, allowFailure: true },
    );
    if (r.code !== 0) return [];
    const { labels } = await this.refs();
    return r.stdout
      .toString('utf8')
      .split(RS)
      .map((s) => s.replace(/^\n/, ''))
      .filter((s) => s.length > 0)
      .map((rec) => {
        const [id, parents, author, email, date, message] = rec.split(FS) as string[];
        return {
          id: id as string,
          parents: (parents ?? '').split(' ').filter(Boolean),
          author: author ?? '',
          email: email ?? '',
          date: date ?? '',
          message: message ?? '',
          labels: labels.get(id as string) ?? [],
        };
      });
  }

  async commit(id: string): Promise<CommitInfo | undefined> {
    if (!/^[0-9a-f]{40,64}$/.test(id)) return undefined;
    const obj = await this.catFile().read(id);
    if (obj?.type !== 'commit') return undefined;
    const text = obj.data.toString('utf8');
    const split = text.indexOf('\n\n');
    const headers = split < 0 ? text : text.slice(0, split);
    const message = split < 0 ? '' : text.slice(split + 2);
    const parents: string[] = [];
    let author = '';
    let email = '';
    let date = '';
    for (const line of headers.split('\n')) {
      if (line.startsWith('parent ')) parents.push(line.slice(7));
      const m = /^author (.*) <([^>]*)> (\d+) ([+-]\d{4})$/.exec(line);
      if (m) {
        author = m[1] as string;
        email = m[2] as string;
        date = isoWithZone(Number(m[3]), m[4] as string);
      }
    }
    return { id: obj.oid, parents, author, email, date, message, labels: (await this.refs()).labels.get(obj.oid) ?? [] };
  }

  async diff(id: string): Promise<Buffer> {
    return this.diffs.through(`${this.dir}:${id}`, () => this.computeDiff(id));
  }

  private async computeDiff(id: string): Promise<Buffer> {
    const commit = await this.commit(id);
    if (!commit) return Buffer.alloc(0);
    const args = commit.parents.length > 0 ? ['diff-tree', '-p', '-M', '--no-color', commit.parents[0] as string, id] : ['diff-tree', '-p', '-M', '--no-color', '--root', id];
    return (await runProcess(this.executable, args, { cwd: this.dir, env: { ...this.env, GIT_DIR: this.dir } })).stdout;
  }

  async tree(id: string, path: string): Promise<TreeEntry[] | undefined> {
    const obj = await this.catFile().read(path === '' ? `${id}^{tree}` : `${id}:${path}`);
    if (obj?.type !== 'tree') return undefined;
    return sortEntries(
      parseTree(obj.data).map((e) => ({
        name: e.name,
        id: e.oid,
        type: e.mode === '40000' ? 'dir' : e.mode === '120000' ? 'link' : e.mode === '160000' ? 'submodule' : 'file',
      })),
    );
  }

  async blob(id: string, path: string): Promise<Buffer | undefined> {
    if (path === '') return undefined;
    const obj = await this.catFile().read(`${id}:${path}`);
    return obj?.type === 'blob' ? obj.data : undefined;
  }

  async branches(): Promise<RefInfo[]> {
    return (await this.refs()).branches;
  }

  async tags(): Promise<RefInfo[]> {
    return (await this.refs()).tags;
  }

  private async refs(): Promise<Refs> {
    const r = await runProcess(
      this.executable,
      ['for-each-ref', `--format=%(refname)${FS}%(objectname)${FS}%(*objectname)${FS}%(creatordate:iso-strict)${FS}%(contents:subject)${RS}`, 'refs/heads', 'refs/tags'],
      { cwd: this.dir, env: { ...this.env, GIT_DIR: this.dir } },
    );
    const branches: RefInfo[] = [];
    const tags: RefInfo[] = [];
    const labels = new Map<string, RefLabel[]>();
    for (const rec of r.stdout.toString('utf8').split(RS)) {
      const [ref, oid, peeled, date, summary] = rec.replace(/^\n/, '').split(FS);
      if (!ref || !oid) continue;
      const id = peeled || oid;
      const isBranch = ref.startsWith('refs/heads/');
      const name = ref.replace(/^refs\/(heads|tags)\//, '');
      (isBranch ? branches : tags).push({ name, id, date: date ?? '', summary: summary ?? '' });
      labels.set(id, [...(labels.get(id) ?? []), { kind: isBranch ? 'branch' : 'tag', name }]);
    }
    return { branches, tags, labels };
  }
}

function isoWithZone(seconds: number, zone: string): string {
  const sign = zone.startsWith('-') ? -1 : 1;
  const offsetMin = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  const local = new Date((seconds + offsetMin * 60) * 1000).toISOString().slice(0, 19);
  return `${local}${zone.slice(0, 3)}:${zone.slice(3)}`;
}
