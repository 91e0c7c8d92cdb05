import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../domain/errors.js';
import { withLargefiles } from '../vcs/hg/largefiles.js';
import type { ImportSource } from './url-safety.js';

/** How Ferry authenticates to a source. Never taken from a command line. */
export interface SourceCredentials {
  /** A private key file given with --identity; used where it is, never copied. */
  readonly identityFile?: string;
  /** A private key's text (a mirror's stored credential): written to a 0600 file for one run. */
  readonly sshKey?: string;
  /** HTTP(S) user and password or token. */
  readonly user?: string;
  readonly password?: string;
}

export interface AccessContext {
  /** A directory inside the data dir for the run's temporary files. */
  readonly tempRoot: string;
  /** Ferry's own hgrc (the first entry of HGRCPATH). */
  readonly ferryHgrc: string;
  readonly hgEnv: NodeJS.ProcessEnv;
  readonly gitEnv: NodeJS.ProcessEnv;
  /** known_hosts for sources (trust on first use, kept in the data dir). */
  readonly knownHosts: string;
  /** A terminal is attached: ssh may ask for a key's passphrase. */
  readonly interactive: boolean;
}

/** Everything hg and git need to reach one source during one run; `dispose` removes every secret. */
export interface SourceAccess {
  readonly hgEnv: NodeJS.ProcessEnv;
  readonly gitEnv: NodeJS.ProcessEnv;
  /** `-c` settings put before every git subcommand that talks to the source. */
  readonly gitConfig: readonly string[];
  /** The temporary directory holding this run's secrets (gone after dispose). */
  readonly secretsDir: string;
  /** Aborting kills the run's hg/git (server shutdown). */
  readonly signal?: AbortSignal;
  dispose(): Promise<void>;
}

/** Settings every import and sync runs with: no subrepos, no hooks, progress on stderr. */
const IMPORT_HGRC = `[subrepos]
allowed = false
[phases]
publish = false
[progress]
assume-tty = true
delay = 0
refresh = 1
format = topic number
width = 200
`;

export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

function oneLine(what: string, value: string): string {
  if (/[\r\n\0]/.test(value)) throw new FerryError('FERRY_INVALID_INPUT', `the ${what} contains a line break; it cannot be used`);
  return value;
}

export async function openSourceAccess(source: ImportSource, credentials: SourceCredentials, ctx: AccessContext): Promise<SourceAccess> {
  await mkdir(ctx.tempRoot, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(ctx.tempRoot, 'access-'));
  await chmod(dir, 0o700);
  try {
    const hgrc = [IMPORT_HGRC];
    const gitEnv: NodeJS.ProcessEnv = { ...ctx.gitEnv };
    const hgEnv: NodeJS.ProcessEnv = { ...ctx.hgEnv };
    const agent = process.env.SSH_AUTH_SOCK;
    if (agent) {
      gitEnv.SSH_AUTH_SOCK = agent;
      hgEnv.SSH_AUTH_SOCK = agent;
    }
    const gitConfig = [
      '-c', 'protocol.allow=never',
      '-c', 'protocol.ssh.allow=always',
      '-c', 'protocol.https.allow=always',
      '-c', 'protocol.http.allow=always',
      '-c', `protocol.file.allow=${source.scheme === 'file' ? 'always' : 'never'}`,
      '-c', 'core.hooksPath=/dev/null',
      '-c', 'credential.helper=',
      '-c', 'submodule.recurse=false',
      '-c', 'fetch.recurseSubmodules=false',
    ];
    if (source.scheme === 'ssh') {
      let key = credentials.identityFile;
      if (credentials.sshKey !== undefined) {
        key = join(dir, 'id');
        await writeFile(key, credentials.sshKey.endsWith('\n') ? credentials.sshKey : `${credentials.sshKey}\n`, { mode: 0o600 });
      }
      const ssh = ['ssh', '-F', '/dev/null', '-o', 'StrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile=${shellQuote(ctx.knownHosts)}`];
      if (key !== undefined) ssh.push('-o', 'IdentitiesOnly=yes', '-i', shellQuote(key));
      if (!ctx.interactive) ssh.push('-o', 'BatchMode=yes');
      const command = ssh.join(' ');
      hgrc.push(`[ui]\nssh = ${command}\n`);
      gitEnv.GIT_SSH_COMMAND = command;
    }
    if ((source.scheme === 'https' || source.scheme === 'http') && (credentials.password !== undefined || credentials.user !== undefined)) {
      const user = oneLine('user name', credentials.user ?? source.user);
      const password = oneLine('password', credentials.password ?? '');
      hgrc.push(`[auth]\nferry.prefix = ${source.origin}\nferry.username = ${user}\nferry.password = ${password}\n`);
      const askpass = join(dir, 'askpass');
      await writeFile(askpass, '#!/bin/sh\ncase "$1" in\n  Username*) printf \'%s\\n\' "$FERRY_ASKPASS_USER" ;;\n  *) printf \'%s\\n\' "$FERRY_ASKPASS_PASSWORD" ;;\nesac\n', { mode: 0o700 });
      gitEnv.GIT_ASKPASS = askpass;
      gitEnv.FERRY_ASKPASS_USER = user;
      gitEnv.FERRY_ASKPASS_PASSWORD = password;
    }
    const hgrcPath = join(dir, 'hgrc');
    await writeFile(hgrcPath, hgrc.join(''), { mode: 0o600 });
    // largefiles is loaded for imports and syncs: a largefiles source refuses plain clients, and
    // its large files are pulled after the changesets (HgRemote.pullLargefiles).
    hgEnv.HGRCPATH = `${withLargefiles(ctx.ferryHgrc)}:${hgrcPath}`;
    // The source's own .hg/hgrc (hooks, extensions) is never read, nor the copy's.
    hgEnv.HGRCSKIPREPO = '1';
    hgEnv.HGPLAINEXCEPT = 'progress';
    return {
      hgEnv,
      gitEnv,
      gitConfig,
      secretsDir: dir,
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
