import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../domain/errors.js';
import { runProcess } from '../vcs/process.js';
import type { SourceAccess } from './access.js';
import type { TransferProgress } from './progress.js';
import { compareMaps, describeDifferences, lastWords, type RemoteVcs, type SyncOutcome } from './remote.js';
import type { ImportSource } from './url-safety.js';

/**
 * Mercurial sources. Every hg process runs with Ferry's HGRCPATH plus the run's own file (no
 * subrepos, no user config) and HGRCSKIPREPO, so neither the source's nor the copy's .hg/hgrc is
 * read: a source's hooks and extensions never run here.
 */
export class HgRemote implements RemoteVcs {
  readonly kind = 'hg' as const;

  constructor(private readonly hg: string) {}

  async probe(source: ImportSource, access: SourceAccess): Promise<boolean> {
    if (source.scheme === 'file') return existsSync(join(source.location, '.hg'));
    const r = await runProcess(this.hg, ['identify', '--id', '--', source.location], { env: access.hgEnv, signal: access.signal, allowFailure: true });
    return r.code === 0;
  }

  async clone(source: ImportSource, dest: string, access: SourceAccess, progress: TransferProgress): Promise<void> {
    await runProcess(this.hg, ['clone', '--noupdate', '--', source.location, dest], { env: access.hgEnv, signal: access.signal, onStderr: (b) => progress.note(b) });
    await this.pullLargefiles(source, dest, access, progress);
  }

  /**
   * A largefiles repo's changesets hold only standins: its large files are pulled into the copy's
   * own store (`.hg/largefiles`) with `hg lfpull --rev 'all()'` (hgext/largefiles/lfcommands.py),
   * so the copy serves them. Nothing is done for other repos.
   */
  private async pullLargefiles(source: ImportSource, dest: string, access: SourceAccess, progress: TransferProgress): Promise<void> {
    const requires = ['requires', join('store', 'requires')].map((f) => join(dest, '.hg', f)).filter((f) => existsSync(f));
    const texts = await Promise.all(requires.map((f) => readFile(f, 'utf8')));
    if (!texts.some((t) => t.split('\n').includes('largefiles'))) return;
    await runProcess(this.hg, ['-R', dest, 'lfpull', '--rev', 'all()', '--', source.location], { env: access.hgEnv, signal: access.signal, onStderr: (b) => progress.note(b) });
  }

  async finish(source: ImportSource, dest: string, options: { keepRemote: boolean }): Promise<void> {
    const hgrc = join(dest, '.hg', 'hgrc');
    await rm(hgrc, { force: true });
    if (options.keepRemote) await writeFile(hgrc, `[paths]\ndefault = ${source.location}\n`);
  }

  async verify(source: ImportSource, dest: string, access: SourceAccess): Promise<string> {
    const env = access.hgEnv;
    // Independent read-only questions, asked at once: hg's start-up cost dominates small repos.
    const [, missing, extra, bookmarks, phases, local, count] = await Promise.all([
      runProcess(this.hg, ['-R', dest, 'verify', '--quiet'], { env }).catch((err: unknown) => {
        throw new FerryError('FERRY_VERIFY_FAILED', `hg verify failed on the copy: ${lastWords(err)}`, { cause: err });
      }),
      this.nodes(dest, 'incoming', source, access),
      this.nodes(dest, 'outgoing', source, access),
      this.compareListkeys(source, dest, 'bookmarks', access),
      this.compareListkeys(source, dest, 'phases', access),
      // A local source can be read directly: compare what the wire does not list.
      source.scheme === 'file'
        ? Promise.all([...LOCAL_VIEWS.map((view) => this.compareView(source.location, dest, view, access)), this.compareBranchHeads(source.location, dest, access)])
        : Promise.resolve([]),
      runProcess(this.hg, ['-R', dest, 'log', '-r', 'all()', '-T', '{branch}\n'], { env }),
    ]);
    const diffs: string[] = [];
    if (missing.length > 0) diffs.push(`${missing.length} changeset(s) of the source missing in the copy (${missing.slice(0, 3).map((n) => n.slice(0, 12)).join(', ')})`);
    if (extra.length > 0) diffs.push(`${extra.length} changeset(s) in the copy but not in the source (${extra.slice(0, 3).map((n) => n.slice(0, 12)).join(', ')})`);
    diffs.push(...bookmarks, ...phases, ...local.flat());
    if (diffs.length > 0) {
      throw new FerryError('FERRY_VERIFY_FAILED', `the copy differs from ${source.display}: ${describeDifferences(diffs)}`, { data: { diffs } });
    }
    const branches = count.stdout.toString('utf8').split('\n').filter(Boolean);
    return `${branches.length} changesets, ${new Set(branches).size} branches, verified`;
  }

  /**
   * Compares one pushkey namespace as a client sees it over the wire. For `phases`, a source that
   * answers `publishing=True` promises every changeset it hands out as public, whatever draft roots
   * it keeps locally (hg's exchange.py `_pullapplyphases`): its roots are then not expected in the copy.
   */
  private async compareListkeys(source: ImportSource, dest: string, namespace: 'bookmarks' | 'phases', access: SourceAccess): Promise<string[]> {
    const [theirs, ours] = await Promise.all([this.listkeys(source.location, namespace, access), this.listkeys(dest, namespace, access)]);
    return compareMaps(namespace === 'phases' ? 'draft root' : 'bookmark', promised(namespace, theirs), promised(namespace, ours));
  }

  private async compareView(sourceDir: string, dest: string, [what, args]: readonly [string, readonly string[]], access: SourceAccess): Promise<string[]> {
    const [theirs, ours] = await Promise.all([this.lines(sourceDir, args, access), this.lines(dest, args, access)]);
    return compareMaps(what, theirs, ours);
  }

  /** Branch heads (closed ones too) and branch tips of what a clone carries: no secret changeset. */
  private async compareBranchHeads(sourceDir: string, dest: string, access: SourceAccess): Promise<string[]> {
    const [theirs, ours] = await Promise.all([this.branchHeads(sourceDir, access), this.branchHeads(dest, access)]);
    return [...compareMaps('branch', theirs.branches, ours.branches), ...compareMaps('head', theirs.heads, ours.heads)];
  }

  /**
   * hg's branchmap over the non-secret changesets (what `hg serve` shows a puller): a head is a
   * changeset no child of which is on its branch; a branch's tip is its tipmost open head, else its
   * tipmost head, and it is closed when every head closes it.
   */
  private async branchHeads(repo: string, access: SourceAccess): Promise<{ heads: Map<string, string>; branches: Map<string, string> }> {
    const template = '{rev} {node} {p1.node} {p2.node} {if(get(extras, "close"), "C", "-")} {branch}\n';
    const r = await runProcess(this.hg, ['-R', repo, 'log', '-r', 'not secret()', '-T', template], { env: access.hgEnv, signal: access.signal });
    const rows = r.stdout.toString('utf8').split('\n').filter(Boolean).map((line) => {
      const [rev, node, p1, p2, close, ...branch] = line.split(' ');
      return { rev: Number(rev), node: node as string, parents: [p1, p2], closed: close === 'C', branch: branch.join(' ') };
    });
    const branchOf = new Map(rows.map((row) => [row.node, row.branch]));
    const notHead = new Set<string>();
    for (const row of rows) for (const p of row.parents) if (p !== undefined && branchOf.get(p) === row.branch) notHead.add(p);
    const heads = new Map<string, string>();
    const tips = new Map<string, { rev: number; node: string; open: boolean }>();
    for (const row of rows) {
      if (notHead.has(row.node)) continue;
      heads.set(row.node, row.branch);
      const tip = tips.get(row.branch);
      const open = !row.closed;
      if (!tip || (open && !tip.open) || (open === tip.open && row.rev > tip.rev)) tips.set(row.branch, { rev: row.rev, node: row.node, open });
    }
    const branches = new Map([...tips].map(([branch, tip]) => [`${branch}${tip.open ? '' : ' (closed)'}`, tip.node]));
    return { heads, branches };
  }

  async unknownToSource(source: ImportSource, dir: string, access: SourceAccess): Promise<string[]> {
    const extra = await this.nodes(dir, 'outgoing', source, access);
    return extra.length === 0 ? [] : [`${extra.length} changeset(s) not in the source (${extra.slice(0, 3).map((n) => n.slice(0, 12)).join(', ')})`];
  }

  async keepsDrafts(dest: string, access: SourceAccess): Promise<boolean> {
    const r = await runProcess(this.hg, ['-R', dest, 'log', '-r', 'draft()', '-l', '1', '-T', 'x'], { env: access.hgEnv, signal: access.signal });
    return r.stdout.length > 0;
  }

  /**
   * Pulls what the source has (with its obsolescence markers: changesets the source rewrote with
   * evolve turn hidden here too). Changesets the copy has and the source no longer shows were
   * stripped or rewritten upstream without markers: with `allowForce` they are stripped here as
   * well, otherwise the copy keeps them and the sync is refused, saying so.
   */
  async pull(source: ImportSource, dir: string, access: SourceAccess, options: { allowForce: boolean }, progress: TransferProgress): Promise<SyncOutcome> {
    const before = await this.state(dir, access);
    const r = await runProcess(this.hg, ['-R', dir, 'pull', '--', source.location], { env: access.hgEnv, signal: access.signal, onStderr: (b) => progress.note(b) });
    if (r.code === 0) await this.pullLargefiles(source, dir, access, progress);
    const gone = await this.nodes(dir, 'outgoing', source, access);
    const out = r.stdout.toString('utf8');
    const added = /added (\d+) changesets?/.exec(out)?.[1];
    const notes: string[] = [];
    const divergent = [...out.matchAll(/divergent bookmark (\S+) stored as (\S+)/g)].map((m) => `${m[1]} (kept as ${m[2]})`);
    if (divergent.length > 0) notes.push(`upstream moved bookmark(s) ${divergent.join(', ')} to a diverging changeset`);
    const shown = gone.slice(0, 3).map((n) => n.slice(0, 12)).join(', ');
    let stripped = '';
    if (gone.length > 0 && options.allowForce) {
      const revs = gone.flatMap((node) => ['-r', node]);
      await runProcess(this.hg, ['-R', dir, '--config', 'extensions.strip=', 'strip', '--no-backup', '--hidden', ...revs], { env: access.hgEnv, signal: access.signal });
      stripped = `${gone.length} changeset(s) the source no longer has removed (${shown})`;
    }
    const after = await this.state(dir, access);
    const summary = before === after ? 'no changes' : [added ? `${added} changeset(s) added` : stripped ? '' : 'phases, bookmarks or obsolescence markers updated', stripped].filter(Boolean).join('; ');
    return {
      changed: before !== after,
      summary,
      ...(notes.length > 0 ? { warning: notes.join('; ') } : {}),
      ...(gone.length > 0 && !options.allowForce
        ? { refused: `upstream stripped or rewrote ${gone.length} changeset(s) without obsolescence markers (${shown}); the mirror kept them (sync with --allow-force to follow history rewrites)` }
        : {}),
    };
  }

  private async nodes(dest: string, direction: 'incoming' | 'outgoing', source: ImportSource, access: SourceAccess): Promise<string[]> {
    const r = await runProcess(this.hg, ['-R', dest, direction, '--quiet', '-T', '{node}\n', '--', source.location], { env: access.hgEnv, signal: access.signal, allowFailure: true });
    if (r.code === 1) return [];
    if (r.code !== 0) throw new FerryError('FERRY_VERIFY_FAILED', `hg ${direction} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    return r.stdout.toString('utf8').split('\n').filter(Boolean);
  }

  private async listkeys(location: string, namespace: 'bookmarks' | 'phases', access: SourceAccess): Promise<Map<string, string>> {
    const r = await runProcess(this.hg, ['debugpushkey', location, namespace], { env: access.hgEnv, signal: access.signal });
    const map = new Map<string, string>();
    for (const line of r.stdout.toString('utf8').split('\n')) {
      const [key, value] = line.split('\t');
      if (key && value !== undefined) map.set(key, value);
    }
    return map;
  }

  private async lines(repo: string, args: readonly string[], access: SourceAccess): Promise<Map<string, string>> {
    const r = await runProcess(this.hg, ['-R', repo, ...args], { env: access.hgEnv, signal: access.signal });
    const map = new Map<string, string>();
    for (const line of r.stdout.toString('utf8').split('\n')) {
      const at = line.lastIndexOf(' ');
      if (at > 0) map.set(line.slice(0, at), line.slice(at + 1));
    }
    return map;
  }

  /** Heads, bookmarks and phase roots: what a pull can change (hidden changesets are not heads). */
  private async state(dir: string, access: SourceAccess): Promise<string> {
    const [heads, bookmarks, phases] = await Promise.all([
      runProcess(this.hg, ['-R', dir, 'log', '-r', 'heads(all())', '-T', '{node} {phase}\n'], { env: access.hgEnv, signal: access.signal }),
      this.listkeys(dir, 'bookmarks', access),
      this.listkeys(dir, 'phases', access),
    ]);
    return `${heads.stdout.toString('utf8')}|${[...bookmarks].join()}|${[...phases].join()}`;
  }
}

/**
 * What a pushkey namespace promises a puller: a publishing repo's draft roots become public on the
 * pulling side (hg's phases.py: "publishing" in listkeys means every pulled changeset is public).
 */
export function promised(namespace: 'bookmarks' | 'phases', keys: ReadonlyMap<string, string>): Map<string, string> {
  if (namespace === 'phases' && /^true$/i.test(keys.get('publishing') ?? '')) return new Map();
  return new Map([...keys].filter(([key]) => key !== 'publishing'));
}

/**
 * Views compared directly when the source is on this disk (besides branch heads): tags. Only what
 * a clone carries: local tags (.hg/localtags) stay with their repo, like secret changesets; `tip`
 * is whatever changeset is newest there (compared as a changeset, both ways, already).
 */
const LOCAL_VIEWS: readonly (readonly [string, readonly string[]])[] = [['tag', ['tags', '-T', '{ifeq(type, "local", "", ifeq(tag, "tip", "", "{tag} {node}\n"))}']]];
