import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { ClusterEvent } from './bus.js';

/** The Unix socket in the run dir on which a running server hears the `ferry` command lines' repo events. */
export function localRelaySocket(runDir: string): string {
  return join(runDir, 'events.sock');
}

/** The longest a command line waits for the server to apply its events (ms); it returns then anyway. */
const RELAY_TIMEOUT_MS = 5_000;

/**
 * The server's end: applies each repo event a `ferry` command line made (a repo moved, removed,
 * made private, synced) as it applies another node's (src/cluster/attach.ts), then answers `ok`,
 * so the command returns only once what the server keeps — CDN snapshots and reused answers, repo
 * lookups, readers — has heard. One JSON event per line; the socket is the server user's alone
 * (mode 0600 by the run dir's 0700).
 * @returns the listening server (close it on shutdown), or undefined when another server on this run dir listens
 */
export async function serveLocalRelay(socketPath: string, apply: (event: ClusterEvent) => Promise<void>, log: Logger): Promise<Server | undefined> {
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
  if (existsSync(socketPath)) {
    // Another node on this run dir answers there already: command lines tell it, and it tells the others.
    if (await answers(socketPath)) {
      log.info({ socket: socketPath }, 'another Ferry server on this run dir hears the command lines\' repo events');
      return undefined;
    }
    // A socket file a killed server left.
    unlinkSync(socketPath);
  }
  const server = createServer((socket) => {
    let pending = '';
    let chain = Promise.resolve();
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        chain = chain.then(async () => {
          try {
            await apply(JSON.parse(line) as ClusterEvent);
          } catch (err) {
            log.warn({ err }, 'could not apply a repo event from a ferry command line');
          }
          if (!socket.destroyed) socket.write('ok\n');
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** Whether a process accepts connections on `socketPath`. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(socketPath, () => {
      probe.destroy();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
  });
}

/**
 * The command line's end: tells a server running on this data dir of `events`, and waits (at most
 * RELAY_TIMEOUT_MS) until it has applied them. No server running is not an error: the next one
 * reads everything afresh when it starts.
 */
export async function relayToServer(socketPath: string, events: readonly ClusterEvent[]): Promise<void> {
  if (events.length === 0 || !existsSync(socketPath)) return;
  await new Promise<void>((resolve) => {
    let answered = 0;
    let socket: Socket | undefined;
    const done = () => {
      clearTimeout(timer);
      socket?.destroy();
      resolve();
    };
    const timer = setTimeout(done, RELAY_TIMEOUT_MS);
    socket = connect(socketPath, () => socket?.write(events.map((e) => `${JSON.stringify(e)}\n`).join('')));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answered += chunk.split('\n').filter((l) => l === 'ok').length;
      if (answered >= events.length) done();
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}
