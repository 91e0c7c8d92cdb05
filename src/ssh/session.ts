import type { ServerChannel, Session } from 'ssh2';
import type { Subject } from '../access/subject.js';
import { describeError, isFerryError } from '../domain/errors.js';
import type { App } from '../main.js';
import type { HgServe } from '../vcs/hg/serve.js';
import { parseSshCommand } from './command.js';
import { runSshCommand } from './run-command.js';
import { whoAmIText } from './whoami.js';

/** GIT_PROTOCOL as git sends it (`version=2`), nothing more. */
const GIT_PROTOCOL = /^version=[0-2](:[a-z0-9=_-]{1,64}){0,4}$/;

export interface SessionDeps {
  readonly app: App;
  readonly hgServe: HgServe;
  /** Who the connection's key belongs to now: asked again for every command (throws once removed). */
  subject(): Promise<Subject>;
  /** `ssh://HOST:PORT` with the public host name, for the clone URLs of the greeting. */
  readonly host: string;
  /** The running HTTP server's public base (`http://HOST:PORT`), when it listens. */
  readonly httpBase?: string;
  /** Where this connection's hg clone bundle links point (src/ssh/clone-bundle-base.ts). */
  readonly cloneBundleBase?: string;
  readonly signal: AbortSignal;
  /** Counts a running command as work in flight (SIGTERM waits for it). */
  track<T>(work: Promise<T>): Promise<T>;
}

/**
 * One session channel. Only `exec` of a command Ferry knows and `shell` (the who-am-I text) do
 * anything; a `pty` is acknowledged but never attached to a terminal, `env` is ignored except a
 * valid GIT_PROTOCOL, and agent/X11 forwarding, subsystems and sftp are refused.
 */
export function handleSession(session: Session, deps: SessionDeps): void {
  let gitProtocol: string | undefined;
  let pty = false;
  let started = false;
  session.on('pty', (accept) => {
    pty = true;
    accept?.();
  });
  session.on('window-change', (accept) => accept?.());
  session.on('env', (accept, reject, info) => {
    if (info.key === 'GIT_PROTOCOL' && GIT_PROTOCOL.test(info.val)) {
      gitProtocol = info.val;
      accept?.();
    } else {
      reject?.();
    }
  });
  session.on('signal', (accept) => accept?.());
  for (const refused of ['x11', 'auth-agent', 'sftp', 'subsystem']) {
    session.on(refused, (_accept: unknown, reject?: () => void) => reject?.());
  }
  session.on('shell', (accept, reject) => {
    if (started) return reject?.();
    started = true;
    deps.app.metrics.sshSession('shell');
    const channel = accept();
    void deps.track(
      deps.subject().then((subject) => whoAmIText(deps.app.policy, subject, deps.host)).then(
        (text) => finish(channel, 0, pty ? text.replaceAll('\n', '\r\n') : text),
        (err: unknown) => fail(deps, channel, err),
      ),
    );
  });
  session.on('exec', (accept, reject, info) => {
    if (started) return reject?.();
    started = true;
    deps.app.metrics.sshSession('exec');
    const channel = accept();
    const work = (async () => {
      const subject = await deps.subject();
      const command = parseSshCommand(info.command);
      return runSshCommand({ app: deps.app, hgServe: deps.hgServe, subject, channel, gitProtocol, signal: deps.signal, host: deps.host, ...(deps.httpBase !== undefined ? { httpBase: deps.httpBase } : {}), ...(deps.cloneBundleBase !== undefined ? { cloneBundleBase: deps.cloneBundleBase } : {}) }, command);
    })();
    void deps.track(work.then((code) => finish(channel, code), (err: unknown) => fail(deps, channel, err)));
  });
}

/** Sends the exit status first, then ends: an ended channel would drop it. */
function finish(channel: ServerChannel, code: number, stdout?: string): void {
  if (stdout !== undefined) channel.write(stdout);
  channel.exit(code);
  channel.end();
}

function fail(deps: SessionDeps, channel: ServerChannel, err: unknown): void {
  if (!isFerryError(err)) deps.app.log.error({ err }, 'ssh command failed');
  channel.stderr.write(`ferry: ${describeError(err)}\n`);
  finish(channel, 1);
}
