import { publicHost, sshUrlBase } from '../config/public-host.js';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import ssh2, { type Connection } from 'ssh2';
import type { Subject } from '../access/subject.js';
import { describeSubject } from '../access/subject.js';
import type { App } from '../main.js';
import type { HgServe } from '../vcs/hg/serve.js';
import { SERVER_ALGORITHMS } from './algorithms.js';
import { checkPublicKey } from './auth.js';
import { loadHostKeys } from './host-keys.js';
import { handleSession } from './session.js';

const MAX_AUTH_ATTEMPTS = 10;
const AUTH_TIMEOUT_MS = 30_000;

export interface SshServer {
  readonly port: number;
  /** Accepts no new connections or sessions; waits up to `graceMs` for commands in flight. */
  stop(graceMs: number): Promise<void>;
}

interface Tracked {
  readonly client: Connection;
  busy: number;
}

export async function startSshServer(app: App, hgServe: HgServe): Promise<SshServer> {
  const hostKeys = await loadHostKeys(app.config.sshDir);
  const connections = new Set<Tracked>();
  const shutdown = new AbortController();
  let stopping = false;
  let idle: (() => void) | undefined;
  const checkIdle = () => {
    if (idle && [...connections].every((c) => c.busy === 0)) idle();
  };
  let host = '';

  const server = new ssh2.Server({ hostKeys, algorithms: SERVER_ALGORITHMS, ident: 'Ferry', keepaliveInterval: 15_000, keepaliveCountMax: 4 }, (client, info) => {
    const tracked: Tracked = { client, busy: 0 };
    // Aborted when the connection goes away, so no program outlives its client.
    const gone = new AbortController();
    const signal = AbortSignal.any([shutdown.signal, gone.signal]);
    connections.add(tracked);
    let subject: Subject | undefined;
    let failures = 0;
    const authTimer = setTimeout(() => client.end(), AUTH_TIMEOUT_MS);
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      checkPublicKey(app.stores.keys, ctx).then(
        (outcome) => {
          if (outcome.kind === 'acceptable') return ctx.accept();
          if (outcome.kind === 'authenticated') {
            subject = outcome.subject;
            void app.stores.keys.touch(outcome.key.id).catch(() => {});
            app.log.info({ ip: info.ip, who: describeSubject(subject) }, 'ssh login');
            return ctx.accept();
          }
          app.log.debug({ ip: info.ip, reason: outcome.reason }, 'ssh public key refused');
          if (++failures >= MAX_AUTH_ATTEMPTS) return client.end();
          return ctx.reject(['publickey']);
        },
        (err: unknown) => {
          app.log.error({ err }, 'ssh authentication failed');
          ctx.reject(['publickey']);
        },
      );
    });
    client.on('ready', () => clearTimeout(authTimer));
    client.on('session', (accept, reject) => {
      if (stopping || subject === undefined) return reject();
      handleSession(accept(), {
        app,
        hgServe,
        subject,
        host,
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
      });
    });
    client.on('tcpip', (_accept, reject) => reject());
    client.on('openssh.streamlocal', (_accept, reject) => reject());
    client.on('request', (_accept, reject) => reject?.());
    client.on('error', (err) => app.log.debug({ err: err.message, ip: info.ip }, 'ssh connection error'));
    client.on('close', () => {
      gone.abort();
      clearTimeout(authTimer);
      connections.delete(tracked);
      checkIdle();
    });
  });
  server.on('error', (err: Error) => app.log.error({ err }, 'ssh server error'));
  server.listen(app.config.ssh.port, app.config.ssh.listen);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  host = sshUrlBase(publicHost(app.config), port);

  return {
    port,
    async stop(graceMs) {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
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
