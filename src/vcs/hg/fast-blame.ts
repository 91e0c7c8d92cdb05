import { writeSharedFile } from '../../storage/shared-files.js';
import { join } from 'node:path';

/**
 * Ferry's blame extension for Mercurial (`ferry-blame`, `ferry-blame-warm`), loaded by every hg
 * process through Ferry's HGRCPATH file. It reads through the linelog cache of Mercurial's own
 * `hgext.fastannotate` (one linelog and revmap per file in `.hg/fastannotate/default/`; see
 * hgext/fastannotate/__init__.py and context.py), so a blame reads one cached file instead of
 * diffing every revision of the file's history as `hg annotate` does.
 *
 * Rules that keep the answer the one `hg annotate` gives:
 * - The linelogs follow one "main branch": the tipmost changeset of the named branch `default`
 *   outside evolve topics (drafts in topics move sideways and would force rebuilds). Only a
 *   changeset that is an ancestor of it is answered from the cache; any other (another named
 *   branch, a topic, a draft beside it) is annotated by Mercurial's own `fctx.annotate`, exactly
 *   as `hg annotate` does (same follow and diff options).
 * - When the main branch moved backwards or sideways (a strip, an amend or other evolve rewrite
 *   of a changeset already in a linelog), fastannotate raises CannotReuseError and the file's
 *   linelog is rebuilt from scratch before answering; a damaged file (CorruptedFileError) too.
 * - fastannotate keeps filelogs and resolved changesets in process-wide caches keyed by the repo
 *   object; a command server keeps that object across commands, so both caches are replaced at
 *   the start of every command (otherwise a filelog read before a push would be used after it).
 * - Binary files get no lines, as `hg annotate` prints none for them.
 * Output of `ferry-blame -- NODE PATH`: per line `REV \x1f NODE \x1f TEXT \x1e`, TEXT with its
 * newline, as `hg annotate -T "{lines % '{rev}\x1f{node}\x1f{line}\x1e'}"`; then `\x1c` and per
 * changeset named `NODE \x1f PERSON \x1f RFC3339-DATE \x1f FIRST-LINE \x1e`, as `hg log` with
 * the template `{node}\x1f{author|person}\x1f{date|rfc3339date}\x1f{desc|firstline}\x1e`.
 * `ferry-blame-warm` brings the linelogs of the files the main branch changed since the last
 * warm-up (the last 50 changesets the first time) up to date, and stores their blame at its head
 * in Ferry's blame store (`.hg/ferry-blame`, src/vcs/blame-store.ts): the 200 most recently
 * changed files at most, none started after 30 s; housekeeping runs it after pushes. `ferry-blame`
 * stores each answer there too, so a restart does not lose them.
 */
export const FAST_BLAME_EXTENSION = `# Written by Ferry on every start; edits are overwritten.
import hashlib
import json
from mercurial import error, patch, registrar, scmutil, templatefilters, util
from mercurial.utils import dateutil, stringutil
from mercurial.node import bin, hex
from hgext.fastannotate import context as facontext, error as faerror

cmdtable = {}
command = registrar.command(cmdtable)
FS = b'\\x1f'
RS = b'\\x1e'
GS = b'\\x1c'
MARK = b'fastannotate/ferry-master'
FIRST_WARM = 50
WARM_MAX_FILES = 200
WARM_BUDGET = 30.0
# The web page blames no larger file (src/web/pages/history.ts MAX_BLAME_BYTES).
MAX_BLAME_BYTES = 1024 * 1024


def _fresh():
    # fastannotate caches filelogs and revsingle answers per repo object; a command server keeps
    # one repo object across commands, so those answers would outlive pushes and strips.
    facontext._getflog = util.lrucachefunc(lambda repo, path: repo.file(path))
    facontext._revsingle = util.lrucachefunc(scmutil.revsingle)


def _master(repo):
    """The main branch's head: the tipmost changeset of branch default outside topics, or None."""
    try:
        revs = repo.revs(b'max(branch("literal:default") - topic())')
    except error.ParseError:
        revs = repo.revs(b'max(branch("literal:default"))')
    first = revs.first()
    return None if first is None else repo[first].node()


def _fast(repo, node, path, master):
    unfi = repo.unfiltered()
    rebuild = False
    while True:
        try:
            with facontext.annotatecontext(unfi, path, facontext.defaultopts, rebuild) as a:
                return a.annotate(hex(node), master=hex(master), showpath=True, showlines=True)
        except (faerror.CannotReuseError, faerror.CorruptedFileError):
            if rebuild:
                raise
            rebuild = True


def _aslinkrevs(repo, rev, attributed):
    """Names changesets as hg annotate does where one file revision came from several changesets.

    A file revision made twice (a graft, an identical change on two branches) is stored once and
    linked to the first changeset that made it (its linkrev). \`hg annotate\` names that linkrev
    whenever it is an ancestor of the annotated changeset; fastannotate names the changeset found
    by walking down from the line's descendants instead. Only a changeset that is no linkrev of
    the file can differ: for those, the linkrev of the file revision they made is named when it is
    an ancestor of REV, the changeset that made the annotated file revision (mercurial/context.py,
    basefilectx.annotate: introfilectx and _ancestrycontext; _adjustlinkrev).
    """
    unfi = repo.unfiltered()
    cl = unfi.changelog
    flogs = {}
    linkrevs = {}
    names = {}
    for node, path in attributed:
        flog = flogs.get(path)
        if flog is None:
            # One filelog per path: opening it again for every changeset named reads its index again.
            flog = flogs[path] = unfi.file(path)
            linkrevs[path] = {flog.linkrev(i) for i in flog}
        crev = cl.rev(node)
        if crev in linkrevs[path]:
            continue
        try:
            lkr = flog.linkrev(flog.rev(unfi[crev].filenode(path)))
        except (error.LookupError, error.ManifestLookupError):
            continue
        if lkr != crev and cl.isancestorrev(lkr, rev):
            names[(node, path)] = cl.node(lkr)
    return names


def _meta(unfi, n):
    c = unfi[n]
    return (stringutil.person(c.user()), dateutil.datestr(c.date(), b'%Y-%m-%dT%H:%M:%S%1:%2'), templatefilters.firstline(c.description()))


def _store(repo, node, path, rows, meta):
    """Writes the blame of PATH at NODE to Ferry's blame store (src/vcs/blame-store.ts, format 1)."""
    try:
        name = path.decode('utf-8')
        index = {}
        commits = []
        lines = []
        for n, _text in rows:
            i = index.get(n)
            if i is None:
                i = index[n] = len(commits)
                person, date, summary = meta[n]
                commits.append([hex(n).decode('ascii'), {'author': person.decode('utf-8', 'replace'), 'date': date.decode('ascii'), 'summary': summary.decode('utf-8', 'replace')}])
            lines.append(i)
        h = hex(node).decode('ascii')
        key = hashlib.sha256(path).hexdigest()[:24]
        data = json.dumps({'v': 1, 'path': name, 'commits': commits, 'lines': lines}, separators=(',', ':'))
        with repo.vfs(b'ferry-blame/%s/%s-%s.json' % (h[:2].encode(), h[2:].encode(), key.encode()), b'wb', atomictemp=True) as f:
            f.write(data.encode('utf-8'))
    except (UnicodeDecodeError, IOError, OSError):
        pass  # a name that is not UTF-8, a full disk: blamed again next time


def _blame(ui, repo, ctx, path):
    """[(node, text)] of PATH at CTX, as hg annotate names them, or None for a binary file."""
    fctx = ctx[path]
    if fctx.isbinary():
        return None
    master = _master(repo)
    if master is not None and repo.changelog.isancestor(ctx.node(), master):
        annotated, lines = _fast(repo, ctx.node(), path, master)
        names = _aslinkrevs(repo, fctx.introrev(), {(n, p) for n, _l, p in annotated})
        return [(names.get((n, p), n), t) for (n, _l, p), t in zip(annotated, lines)]
    diffopts = patch.difffeatureopts(ui, {}, section=b'annotate', whitespace=True)
    return [(a.fctx.node(), a.text) for a in fctx.annotate(follow=True, diffopts=diffopts)]


@command(b'ferry-blame', [], b'NODE PATH', helpcategory=command.CATEGORY_FILE_CONTENTS)
def ferryblame(ui, repo, node, path):
    """annotate PATH at NODE (40 hex digits), through fastannotate's cache where it applies"""
    _fresh()
    ctx = scmutil.revsingle(repo, node)
    if ctx.hex() != node:
        raise error.Abort(b'not a changeset id: %s' % node)
    rows = _blame(ui, repo, ctx, path)
    if rows is None:
        return 0
    unfi = repo.unfiltered()
    cl = unfi.changelog
    revs = {}
    out = []
    for n, text in rows:
        rev = revs.get(n)
        if rev is None:
            rev = revs[n] = cl.rev(n)
        out.append(b'%d%s%s%s%s%s' % (rev, FS, hex(n), FS, text, RS))
    # Then, after a GS, what each named changeset is, as
    # hg log -T '{node}\x1f{author|person}\x1f{date|rfc3339date}\x1f{desc|firstline}\x1e' would say.
    out.append(GS)
    meta = {n: _meta(unfi, n) for n in revs}
    for n, (person, date, summary) in meta.items():
        out.append(b'%s%s%s%s%s%s%s%s' % (hex(n), FS, person, FS, date, FS, summary, RS))
    _store(repo, ctx.node(), path, rows, meta)
    ui.write(b''.join(out))
    return 0


@command(b'ferry-blame-warm', [], b'', helpcategory=command.CATEGORY_MAINTENANCE)
def ferryblamewarm(ui, repo):
    """bring the blame cache of the files the main branch changed since the last warm-up up to date"""
    _fresh()
    master = _master(repo)
    if master is None:
        return 0
    last = None
    try:
        last = bin(repo.vfs.read(MARK).strip())
    except (IOError, OSError, ValueError, TypeError):
        last = None
    if last is not None and not repo.changelog.hasnode(last):
        last = None
    if last is None:
        revs = repo.revs(b'last(::%n, ' + b'%d' % FIRST_WARM + b')', master)
    else:
        revs = repo.revs(b'only(%n, %n)', master, last)
    mctx = repo[master]
    # The most recently changed files first, at most WARM_MAX_FILES of them and no new one after
    # WARM_BUDGET seconds: a first push of thousands of files does not hold the repo's
    # housekeeping for long; the others are blamed (and stored) on their first view.
    paths = []
    seen = set()
    for rev in sorted(revs, reverse=True):
        for f in repo[rev].files():
            if f not in seen and f in mctx:
                seen.add(f)
                paths.append(f)
    unfi = repo.unfiltered()
    started = util.timer()
    warmed = 0
    for path in paths:
        if warmed >= WARM_MAX_FILES or util.timer() - started > WARM_BUDGET:
            break
        try:
            fctx = mctx[path]
            if fctx.size() > MAX_BLAME_BYTES or fctx.isbinary():
                continue
            warmed += 1
            rows = _blame(ui, repo, mctx, path)
            _store(repo, master, path, rows, {n: _meta(unfi, n) for n, _t in rows})
        except Exception as ex:  # one file must not stop the others
            ui.warn(b'ferry-blame-warm: %s: %s\\n' % (path, stringutil.forcebytestr(ex)))
    repo.vfs.makedirs(b'fastannotate')
    repo.vfs.write(MARK, hex(master) + b'\\n')
    return 0
`;

/** Writes the extension beside Ferry's hgrc (`DIR/ferry_blame.py`) and returns its path. */
export function writeFastBlameExtension(dir: string): string {
  const path = join(dir, 'ferry_blame.py');
  writeSharedFile(path, FAST_BLAME_EXTENSION);
  return path;
}
