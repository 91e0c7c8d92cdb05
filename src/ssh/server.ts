import { cloneBundleBase, type SshEndpoints } from './clone-bundle-base.js';
import { publicHost, sshUrlBase } from '../config/public-host.js';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import ssh2, { type Connection } from 'ssh2';
import { describeSubject } from '../access/subject.js';
import type { App } from '../main.js';
import type { HgServe } from '../vcs/hg/serve.js';
import { SERVER_ALGORITHMS } from './algorithms.js';
import { checkPublicKey, currentSubject } from './auth.js';
import { loadHostKeys } from './host-keys.js';
import { handleSession } from './session.js';
import { requestIdFrom, withLogContext } from '../log/context.js';

const MAX_AUTH_ATTEMPTS = 10;

export interface SshServer {
  readonly port: number;
  /** Accepts no new connections or sessions; waits up to `graceMs` for commands in flight. */
  stop(graceMs: number): Promise<void>;
}

interface Tracked {
  readonly client: Connection;
  busy: number;
}

/**
 * `httpBase`: the running HTTP server's public base (`http://HOST:PORT`), for printed URLs;
 * `httpPort`: its bound port, for the clone bundle links of each connection (cloneBundleBase).
 */
export async function startSshServer(app: App, hgServe: HgServe, httpBase?: string, httpPort?: number): Promise<SshServer> {
  const hostKeys = await loadHostKeys(app.config.sshDir);
  const connections = new Set<Tracked>();
  const shutdown = new AbortController();
  let stopping = false;
  let idle: (() => void) | undefined;
  const checkIdle = () => {
    if (idle && [...connections].every((c) => c.busy === 0)) idle();
  };
  let host = '';

  // Connect → banner → key exchange → signed in, within [limits] ssh_handshake_timeout, or the
  // socket goes (ssh2 waits for a banner for ever, and its end() waits on a client that never
  // reads). Keyed by the client's address and port, as ssh2 reports them.
  const handshaking = new Map<string, () => void>();
  /** The addresses of each client's connection (clone bundle links), keyed as `handshaking` is. */
  const reachedAt = new Map<string, SshEndpoints>();
  const handshakeMs = app.config.limits.ssh_handshake_timeout;
  const listener = createNetServer((socket: Socket) => {
    const key = `${socket.remoteAddress}|${socket.remotePort}`;
    const deadline = setTimeout(() => socket.destroy(), handshakeMs);
    handshaking.set(key, () => clearTimeout(deadline));
    if (socket.localAddress !== undefined && socket.remoteAddress !== undefined) reachedAt.set(key, { local: socket.localAddress, remote: socket.remoteAddress });
    app.metrics.sshConnection(1);
    socket.once('close', () => {
      clearTimeout(deadline);
      handshaking.delete(key);
      reachedAt.delete(key);
      app.metrics.sshConnection(-1);
      app.metrics.transferBytes('ssh', socket.bytesRead, socket.bytesWritten);
    });
    server.injectSocket(socket);
  });
  const server = new ssh2.Server({ hostKeys, algorithms: SERVER_ALGORITHMS, ident: 'Ferry', keepaliveInterval: 15_000, keepaliveCountMax: 4 }, (client, info) => {
    const tracked: Tracked = { client, busy: 0 };
    // One id for every log line of this connection (its sign-in, sessions and commands).
    const reqId = requestIdFrom(undefined, 'ssh-');
    const log = app.log.child({ reqId });
    const connectionApp: App = { ...app, log };
    const bundleBase = httpPort === undefined ? undefined : cloneBundleBase(app.config, httpPort, reachedAt.get(`${info.ip}|${info.port}`));
    // Aborted when the connection goes away, so no program outlives its client.
    const gone = new AbortController();
    const signal = AbortSignal.any([shutdown.signal, gone.signal]);
    connections.add(tracked);
    /** The key that signed in; who it belongs to is looked up again for every command. */
    let signedInKey: Buffer | undefined;
    let failures = 0;
    const signedIn = () => {
      handshaking.get(`${info.ip}|${info.port}`)?.();
    };
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      checkPublicKey(app.stores.keys, ctx).then(
        (outcome) => {
          if (outcome.kind === 'acceptable') return ctx.accept();
          if (outcome.kind === 'authenticated') {
            signedInKey = Buffer.from(ctx.key.data);
            void app.stores.keys.touch(outcome.key.id).catch(() => {});
            log.info({ ip: info.ip, who: describeSubject(outcome.subject) }, 'ssh login');
            return ctx.accept();
          }
          log.debug({ ip: info.ip, reason: outcome.reason }, 'ssh public key refused');
          if (++failures >= MAX_AUTH_ATTEMPTS) return client.end();
          return ctx.reject(['publickey']);
        },
        (err: unknown) => {
          log.error({ err }, 'ssh authentication failed');
          ctx.reject(['publickey']);
        },
      );
    });
    client.on('ready', signedIn);
    client.on('session', (accept, reject) => {
      const key = signedInKey;
      if (stopping || key === undefined) return reject();
      const channel = accept();
      withLogContext({ reqId }, () => handleSession(channel, {
        app: connectionApp,
        hgServe,
        subject: () => currentSubject(app.stores.keys, key),
        host,
        ...(httpBase !== undefined ? { httpBase } : {}),
        ...(bundleBase !== undefined ? { cloneBundleBase: bundleBase } : {}),
        signal,
        track: async (work) => {
          tracked.busy++;
          try {
            return await work;
          } finally {
            tracked.busy--;
            checkIdle();
          }
        },
      }));
    });
    client.on('tcpip', (_accept, reject) => reject());
    client.on('openssh.streamlocal', (_accept, reject) => reject());
    client.on('request', (_accept, reject) => reject?.());
    client.on('error', (err) => log.debug({ err: err.message, ip: info.ip }, 'ssh connection error'));
    client.on('close', () => {
      gone.abort();
      connections.delete(tracked);
      checkIdle();
    });
  });
  server.on('error', (err: Error) => app.log.error({ err }, 'ssh server error'));
  listener.on('error', (err: Error) => app.log.error({ err }, 'ssh server error'));
  listener.listen(app.config.ssh.port, app.config.ssh.listen);
  await once(listener, 'listening');
  const port = (listener.address() as AddressInfo).port;
  host = sshUrlBase(publicHost(app.config), port);

  return {
    port,
    async stop(graceMs) {
      stopping = true;
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const c of connections) if (c.busy === 0) c.client.end();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
        checkIdle();
      });
      shutdown.abort();
      for (const c of connections) c.client.end();
      await closed;
    },
  };
}
