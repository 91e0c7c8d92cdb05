import { spawn } from 'node:child_process';
import { writeSharedFile } from '../../storage/shared-files.js';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ProcessSpec } from '../process-spec.js';
import { withLargefiles } from './largefiles.js';
import { removeWhenGone, type Watchdog } from '../watchdog.js';

/**
 * The in-process hook a read-only session installs: it refuses to open any transaction, so a
 * push, a phase move or a bookmark change writes nothing. The message comes from the environment
 * Ferry sets, never from the client.
 */
const HOOKS_PY = `# Written by Ferry on every start; edits are overwritten.
from mercurial import encoding


def deny(ui, repo, hooktype, **kwargs):
    message = encoding.environ.get(b'FERRY_DENY_MESSAGE') or b'ferry: this session may only read'
    ui.warn(message + b'\\n')
    return True
`;

/**
 * Read-only sessions: besides the hooks (a transaction or a pushkey), every wire command an
 * extension registered with the `push` permission is refused before it runs. hgweb checks that
 * permission itself; `hg serve --stdio` does not (its checkperm does nothing), so a command that
 * writes outside a transaction — largefiles' putlfile storing a file — would otherwise run for a
 * reader. unbundle and pushkey are left to the hooks, which refuse them with the same message.
 * The refusal is a non-empty answer, so a client waiting to upload never sends its payload.
 */
const READ_ONLY_PY = `# Written by Ferry on every start; edits are overwritten.
from mercurial import encoding, extensions, wireprotov1server, wireprototypes

HOOKED = (b'unbundle', b'pushkey')


def dispatch(orig, repo, proto, command):
    entry = wireprotov1server.commands.get(command)
    if entry is not None and entry.permission == b'push' and command not in HOOKED:
        message = encoding.environ.get(b'FERRY_DENY_MESSAGE') or b'ferry: this session may only read'
        repo.ui.warn(message + b'\\n')
        return wireprototypes.bytesresponse(message + b'\\n')
    return orig(repo, proto, command)


def extsetup(ui):
    extensions.wrapfunction(wireprotov1server, 'dispatch', dispatch)
`;

/**
 * Clone bundles over SSH: `hg serve --stdio` answers capabilities itself, so this extension adds
 * `clonebundles` and answers the command with the manifest Ferry computed for the session
 * (signed links for the session's reader) — only when Ferry set one in the environment.
 */
const CLONE_BUNDLES_PY = `# Written by Ferry on every start; edits are overwritten.
from mercurial import encoding, extensions, wireprotov1server, wireprototypes

MANIFEST = b'FERRY_CLONEBUNDLES_MANIFEST'


def capabilities(orig, repo, proto):
    caps = orig(repo, proto)
    if encoding.environ.get(MANIFEST):
        caps.append(b'clonebundles')
    return caps


def extsetup(ui):
    extensions.wrapfunction(wireprotov1server, '_capabilities', capabilities)
    entry = wireprotov1server.commands[b'clonebundles']
    original = entry.func

    def clonebundles(repo, proto):
        manifest = encoding.environ.get(MANIFEST)
        if manifest:
            return wireprototypes.bytesresponse(manifest)
        return original(repo, proto)

    entry.func = clonebundles
`;

function serveHgrc(extensionPath: string): string {
  return `# Written by Ferry on every start; edits are overwritten. Added to HGRCPATH for every ssh session.
[extensions]
ferry_clonebundles = ${extensionPath}
`;
}

function readOnlyHgrc(hooksPath: string, extensionPath: string): string {
  return `# Written by Ferry on every start; edits are overwritten. Added to HGRCPATH for read-only sessions.
[extensions]
ferry_read_only = ${extensionPath}
[hooks]
pretxnopen.ferry-read-only = python:${hooksPath}:deny
prepushkey.ferry-read-only = python:${hooksPath}:deny
prechangegroup.ferry-read-only = python:${hooksPath}:deny
`;
}

/** chg servers idle longer than this exit on their own (they also exit when their socket is removed). */
const CHG_HGRC = `# Written by Ferry on every start; edits are overwritten. Added to HGRCPATH when chg serves.
[chgserver]
idletimeout = 600
`;

export interface HgServeOptions {
  readonly hg: string;
  /** The chg program, or '' to start a fresh hg for every session. */
  readonly chg: string;
  readonly env: NodeJS.ProcessEnv;
  readonly dataDir: string;
  /** `[server] run_dir`: this node's chg sockets (`RUN/chg`). */
  readonly runDir: string;
}

/**
 * Builds the one command Mercurial accepts for serving over SSH: `hg -R DIR serve --stdio`, with
 * every setting in Ferry-written hgrc files. With chg, a warm forked server answers instead of a
 * fresh Python start; it has its own socket dir in the data dir and sees only Ferry's env.
 */
export class HgServe {
  private readonly hgrcPath: string;
  private readonly serveHgrcPath: string;
  private readonly readOnlyHgrcPath: string;
  private readonly chgSocket: string;
  private readonly chgDir: string;
  private readonly chgHgrcPath: string;
  private readonly chgWatchdog: Watchdog | undefined;

  constructor(private readonly options: HgServeOptions) {
    // etc/ is shared with the other nodes on this data dir: files are replaced whole, never truncated.
    const etc = join(options.dataDir, 'etc');
    mkdirSync(etc, { recursive: true });
    const hooks = join(etc, 'ferry_hooks.py');
    writeSharedFile(hooks, HOOKS_PY);
    const readOnly = join(etc, 'ferry_read_only.py');
    writeSharedFile(readOnly, READ_ONLY_PY);
    this.readOnlyHgrcPath = join(etc, 'hgrc-read-only');
    writeSharedFile(this.readOnlyHgrcPath, readOnlyHgrc(hooks, readOnly));
    const extension = join(etc, 'ferry_clonebundles.py');
    writeSharedFile(extension, CLONE_BUNDLES_PY);
    this.serveHgrcPath = join(etc, 'hgrc-serve');
    writeSharedFile(this.serveHgrcPath, serveHgrc(extension));
    this.hgrcPath = options.env.HGRCPATH ?? join(etc, 'hgrc');
    this.chgHgrcPath = join(etc, 'hgrc-chg');
    writeSharedFile(this.chgHgrcPath, CHG_HGRC);
    this.chgDir = join(options.runDir, 'chg');
    // Sockets left by an earlier run: removing them makes their chg servers exit.
    rmSync(this.chgDir, { recursive: true, force: true });
    mkdirSync(this.chgDir, { recursive: true, mode: 0o700 });
    chmodSync(this.chgDir, 0o700);
    this.chgSocket = join(this.chgDir, 'server');
    // Even if Ferry is killed outright, its chg servers go: the sockets are removed when it dies.
    this.chgWatchdog = options.chg === '' ? undefined : removeWhenGone([this.chgDir]);
  }

  /**
   * How the web's and API's hg command servers (src/vcs/hg/command-server.ts) start through chg:
   * `chg -R DIR serve --cmdserver pipe` forks a chg server that has Mercurial and its extensions
   * loaded already (~50 ms, against ~150-900 ms for a fresh Python, more on a busy machine), so
   * the first page of a repo after a start or an idle spell does not wait for Python to start.
   * Its own socket in the chg dir (its config differs from ssh's: no serve hooks); undefined
   * without chg. `prestart` starts that chg server at once, in the background.
   */
  commandServers(): { executable: string; env: NodeJS.ProcessEnv } | undefined {
    if (this.options.chg === '') return undefined;
    const env = { ...this.options.env, HGRCPATH: [this.hgrcPath, this.chgHgrcPath].join(delimiter), CHGHG: this.options.hg, CHGSOCKNAME: join(this.chgDir, 'pages') };
    return { executable: this.options.chg, env };
  }

  /**
   * Starts the chg server `program` talks to (`chg version -q`): resolves once it answered (or
   * failed: a failure only costs the first page its Python start). Never rejects.
   */
  prestart(program: { executable: string; env: NodeJS.ProcessEnv }): Promise<void> {
    const child = spawn(program.executable, ['version', '-q'], { env: program.env, stdio: 'ignore' });
    child.unref();
    return new Promise((resolve) => {
      child.on('error', () => resolve());
      child.on('exit', () => resolve());
    });
  }

  /** Removes the chg sockets, so the warm servers exit (within a second) when Ferry stops. */
  stop(): void {
    rmSync(this.chgDir, { recursive: true, force: true });
    this.chgWatchdog?.stop();
  }

  /**
   * `hg -R DIR serve --stdio`; `denyWrites` is the one-line refusal a write attempt prints;
   * `cloneBundles` the clone bundle manifest offered to this session (none when empty).
   */
  serve(dir: string, access: { readonly denyWrites?: string; readonly cloneBundles?: string }): ProcessSpec {
    // A session that may write loads largefiles (a first largefiles push needs its capability);
    // a reader gets it only where the repo requires it (Mercurial loads it for such repos itself).
    const base = [access.denyWrites === undefined ? withLargefiles(this.hgrcPath) : this.hgrcPath, this.serveHgrcPath].join(delimiter);
    const env: NodeJS.ProcessEnv = { ...this.options.env, HGRCPATH: base };
    if (access.cloneBundles) env.FERRY_CLONEBUNDLES_MANIFEST = access.cloneBundles;
    if (access.denyWrites !== undefined) {
      env.HGRCPATH = [base, this.readOnlyHgrcPath].join(delimiter);
      env.FERRY_DENY_MESSAGE = access.denyWrites.replace(/[\r\n\0]/g, ' ');
    }
    const args = ['-R', dir, 'serve', '--stdio'];
    if (this.options.chg === '') return { executable: this.options.hg, args, env };
    const hgrcPath = [env.HGRCPATH, this.chgHgrcPath].join(delimiter);
    return { executable: this.options.chg, args, env: { ...env, HGRCPATH: hgrcPath, CHGHG: this.options.hg, CHGSOCKNAME: this.chgSocket } };
  }
}
