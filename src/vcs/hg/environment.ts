import { writeSharedFile } from '../../storage/shared-files.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFastBlameExtension } from './fast-blame.js';
import { writeLargefilesConfig } from './largefiles.js';
import { writeZipNamesExtension } from './zip-names.js';

/**
 * The transaction hook every hg process loads (it acts only on pushes a client makes, `source`
 * `serve`, so Ferry's own imports and mirror pulls of repos with several heads are untouched):
 * a push may not add a second head to a named branch outside a topic. Work in a topic (evolve's
 * topic extension) may have as many heads as it likes until it is published (heads count by
 * descendance, so a plain client's commit on top of a topic's changeset continues the branch).
 * A branch that had
 * several heads already may still receive pushes that add none. The message is the one
 * Mercurial's own `experimental.single-head-per-branch` check gives (mercurial/scmutil.py).
 */
function singleHeadHook(topics: boolean): string {
  // Without the topic extension there are no topics: the revsets leave out topic().
  const outsideTopics = topics ? ' - topic()' : '';
  return `# Written by Ferry on every start; edits are overwritten.
from mercurial import error
from mercurial.node import short


def _heads(repo, branch, without):
    # The branch's changesets outside topics that have no descendant among them: a plain
    # client's commit on top of a topic's work still continues the branch.
    outside = b'(branch(%s)${outsideTopics} - %ld)'
    revs = repo.revs((outside + b' - ::parents' + outside + b' - closed()'), b'literal:' + branch, without, b'literal:' + branch, without)
    return list(revs)


def check(ui, repo, hooktype, source=None, node=None, **kwargs):
    if source != b'serve' or not node:
        return False
    visible = repo.filtered(b'visible')
    first = repo.unfiltered()[node].rev()
    new = list(visible.revs(b'(%d:)${outsideTopics}', first))
    for branch in sorted({visible[r].branch() for r in new}):
        after = _heads(visible, branch, [])
        before = _heads(visible, branch, new)
        if len(after) > 1 and len(after) > len(before):
            nodes = b' '.join(short(visible[r].node()) for r in after)
            raise error.Abort(
                b'rejecting multiple heads on branch "%s"' % branch,
                hint=b'%d heads: %s (merge them, or push your work in a topic)' % (len(after), nodes),
            )
    return False
`;
}

/**
 * The only Mercurial configuration Ferry's hg processes read: HGRCPATH points at this file, so
 * neither /etc/mercurial nor any user's ~/.hgrc applies, and no client word ever becomes config.
 * Evolve and topic (Debian's mercurial-evolve) are loaded unless `[hg] evolve = false`, so every
 * process — ssh serve, chg, hgweb, the command-server pool, imports — understands obsolescence
 * markers and topics; without them Ferry is a plain Mercurial server (markers already in a repo
 * stay on disk, unused and not exchanged).
 * Ferry's blame extension is loaded too (`ferry-blame`, through hgext.fastannotate's linelog
 * cache in .hg/fastannotate; src/vcs/hg/fast-blame.ts).
 * Ferry's zip-names fix is loaded too (`hg archive -t zip` of names that are not UTF-8;
 * src/vcs/hg/zip-names.ts).
 * Ferry's largefiles guard is loaded too (it does nothing unless largefiles is: no shared user
 * cache, a cheap requirement hook; src/vcs/hg/largefiles.ts).
 * `obshashrange = no`: evolve's range-based marker discovery warms its stable-range and obshash
 * caches (SQLite files in .hg/cache) at the close of every pushed transaction, which made a push of
 * 50 changesets to a 3,000-changeset repo take 1.3x as long as without evolve (bench/ssh.ts,
 * bench/http.ts; hg --profile: 0.84 s of 1.32 s in those caches' updatecaches). Without it, markers
 * travel as core Mercurial exchanges them (the markers relevant to what is pushed or pulled), which
 * evolve and plain clients both understand (evolve's README, "obshashrange").
 * A repo's phase setting (`ferry repo set --non-publishing`) lives in the repo's own `.hg/hgrc`,
 * which only Ferry writes (src/vcs/hg/repo-config.ts).
 */
export function ferryHgrc(singleHeadHook: string, largefilesGuard: string, evolve = true, fastBlame?: string, zipNames?: string): string {
  return `# Written by Ferry on every start; edits are overwritten.
[ui]
interactive = false
report_untrusted = false
[extensions]
${evolve ? 'evolve =\ntopic =\n' : ''}ferry_largefiles = ${largefilesGuard}
${fastBlame === undefined ? '' : `ferry_blame = ${fastBlame}\n`}${zipNames === undefined ? '' : `ferry_zipnames = ${zipNames}\n`}[phases]
publish = true
[server]
bundle1 = false
uncompressed = true
validate = true
${evolve ? '[experimental]\nevolution = all\nobshashrange = no\n' : ''}[hooks]
pretxnclose.ferry-single-head = python:${singleHeadHook}:check
[web]
allow-push = *
push_ssl = false
`;
}

/**
 * Writes `DATA/etc/hgrc` (and the hook it loads) and returns its path, for HGRCPATH.
 * `evolve`: `[hg] evolve` (default true) — load evolve and topic.
 */
export function writeHgrc(dataDir: string, evolve = true): string {
  const dir = join(dataDir, 'etc');
  mkdirSync(dir, { recursive: true });
  const hook = join(dir, 'ferry_single_head.py');
  writeSharedFile(hook, singleHeadHook(evolve));
  const path = join(dir, 'hgrc');
  writeSharedFile(path, ferryHgrc(hook, writeLargefilesConfig(dir).guardExtension, evolve, writeFastBlameExtension(dir), writeZipNamesExtension(dir)));
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
