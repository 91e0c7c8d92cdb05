import { writeSharedFile } from '../../storage/shared-files.js';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/**
 * Loaded by every hg process (Ferry's HGRCPATH), and cheap where largefiles is not: it acts only
 * once Mercurial's largefiles extension is loaded — by Ferry's `hgrc-largefiles` (hgweb, SSH
 * sessions that may write) or automatically for a repo whose `.hg/requires` names `largefiles`
 * (mercurial/localrepo.py, afterhgrcload). Then:
 * - no user cache: largefiles keeps one cache per system user (`~/.cache/largefiles`) and
 *   `getlfile` serves any file found there — across repos, so a reader of one repo could fetch
 *   another private repo's file by its hash. The server stores and finds largefiles only in the
 *   repo's own `.hg/largefiles`.
 * - the hook that marks a repo as a largefiles repo after a push looks at the pushed changesets
 *   only, not at every file of the store (largefiles' own `checkrequireslfiles` walks the whole
 *   store after each push to a repo without largefiles: ordinary pushes would pay for it).
 */
const LARGEFILES_GUARD_PY = `# Written by Ferry on every start; edits are overwritten.
import sys

from mercurial import scmutil

_patched = []


def _check(ui, repo, node=None, **kwargs):
    if not node or b'largefiles' in repo.requirements:
        return False
    unfi = repo.unfiltered()
    for rev in unfi.revs(b'%d:', unfi[node].rev()):
        if any(f.startswith(b'.hglf/') for f in unfi[rev].files()):
            with repo.lock():
                repo.requirements.add(b'largefiles')
                scmutil.writereporequirements(repo)
            break
    return False


def _patch():
    if _patched or 'hgext.largefiles' not in sys.modules:
        return
    _patched.append(True)
    import hgext.largefiles as largefiles
    from hgext.largefiles import lfutil

    lfutil.linktousercache = lambda repo, hash: None
    lfutil.inusercache = lambda ui, hash: False
    original = largefiles.reposetup

    def reposetup(ui, repo):
        original(ui, repo)
        ui.setconfig(b'hooks', b'changegroup.lfiles', _check, b'ferry')
        ui.setconfig(b'hooks', b'commit.lfiles', _check, b'ferry')

    largefiles.reposetup = reposetup


def extsetup(ui):
    _patch()


def reposetup(ui, repo):
    _patch()
    if 'hgext.largefiles' in sys.modules and repo.local():
        ui.setconfig(b'hooks', b'changegroup.lfiles', _check, b'ferry')
        ui.setconfig(b'hooks', b'commit.lfiles', _check, b'ferry')
`;

/** Where Ferry's largefiles files are, under DATA/etc. */
export interface LargefilesConfig {
  /** The guard extension every hg process loads (see LARGEFILES_GUARD_PY). */
  readonly guardExtension: string;
  /** An hgrc that loads largefiles, added to HGRCPATH where a client may store or fetch largefiles. */
  readonly hgrc: string;
}

/**
 * Writes the guard extension and `hgrc-largefiles` into `etcDir`. `hgrc-largefiles` goes into
 * HGRCPATH for hgweb (one long-lived process: the import is paid once) and for SSH sessions that
 * may write (a first largefiles push needs the server's `largefiles=serve` capability, see
 * hgext/largefiles/wirestore.py); read-only sessions load largefiles only for repos that
 * require it, as Mercurial itself does.
 */
export function writeLargefilesConfig(etcDir: string): LargefilesConfig {
  const guardExtension = join(etcDir, 'ferry_largefiles.py');
  writeSharedFile(guardExtension, LARGEFILES_GUARD_PY);
  const hgrc = join(etcDir, 'hgrc-largefiles');
  writeSharedFile(hgrc, '# Written by Ferry on every start; edits are overwritten.\n[extensions]\nlargefiles =\n');
  return { guardExtension, hgrc };
}

/** Ferry's base HGRCPATH plus `hgrc-largefiles` (same directory as the base file). */
export function withLargefiles(hgrcPath: string): string {
  const first = hgrcPath.split(delimiter)[0] ?? hgrcPath;
  return [hgrcPath, join(dirname(first), 'hgrc-largefiles')].join(delimiter);
}

/** Where largefiles keeps a large file's standin in a changeset: `.hglf/PATH` holds its SHA-1. */
export const STANDIN_DIR = '.hglf/';

/** The SHA-1 a standin's content names (hgext/largefiles/lfutil.py readasstandin), or undefined. */
export function standinHash(standin: Buffer): string | undefined {
  const m = /^([0-9a-f]{40})\r?\n?$/.exec(standin.toString('latin1'));
  return m?.[1];
}

/**
 * The file holding the large file `sha1` in the repo's own store (`.hg/largefiles/SHA1`, where
 * the server's putlfile and `hg lfpull` keep it), or undefined when the repo does not hold it.
 */
export function storedLargefile(repoDir: string, sha1: string): string | undefined {
  if (!/^[0-9a-f]{40}$/.test(sha1)) return undefined;
  const path = join(repoDir, '.hg', 'largefiles', sha1);
  return existsSync(path) ? path : undefined;
}
