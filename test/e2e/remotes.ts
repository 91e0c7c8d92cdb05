/**
 * Real remotes for import and mirror tests: `hg serve` on loopback, `git http-backend` behind a
 * tiny node HTTP server, and an HTTP proxy that can demand Basic auth or cut a transfer halfway.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Remote {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/** `hg serve` of one repo on a free loopback port; non-publishing unless told otherwise. */
export async function startHgServe(repo: string, options: { publish?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Remote> {
  const child = spawn(
    'hg',
    ['-R', repo, 'serve', '-a', '127.0.0.1', '-p', '0', '--config', `phases.publish=${options.publish ? 'True' : 'False'}`, '--config', 'web.push_ssl=False'],
    { env: { ...process.env, HGRCPATH: '/dev/null', ...(options.env ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hg serve did not start: ${out}`)), 20_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening at http:\/\/[^:]+:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', () => reject(new Error(`hg serve exited: ${out}`)));
  });
  process.on('exit', () => child.kill('SIGKILL'));
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Smart-HTTP git for every repo under `root` (git http-backend as CGI). */
export async function startGitHttp(root: string): Promise<Remote> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_USER: 'test',
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('utf8').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    child.stdout.on('end', () => res.end());
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/`, port, stop: closer(server) };
}

export interface ProxyOptions {
  /** Demand HTTP Basic with these. */
  readonly user?: string;
  readonly password?: string;
  /** Destroy the connection once this many response bytes went through (a remote dying mid-clone). */
  readonly cutAfterBytes?: number;
  /** Runs before a response to a request whose URL matches `pattern` ends (the source changes mid-import). */
  readonly beforeEnd?: { readonly pattern: RegExp; readonly minBytes: number; run(): Promise<void> };
}

/** An HTTP proxy in front of `target` that can require Basic auth or die halfway. */
export async function startProxy(target: Remote, options: ProxyOptions): Promise<Remote & { authorizedRequests(): number; cuts(): number }> {
  let authorized = 0;
  let cuts = 0;
  let total = 0;
  const server = createServer((req, res) => {
    if (options.user !== undefined) {
      const expected = `Basic ${Buffer.from(`${options.user}:${options.password ?? ''}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        req.resume();
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"', 'Content-Length': 0 }).end();
        return;
      }
      authorized++;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const upstream = request({ host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers }, (up: IncomingMessage) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      let sent = 0;
      up.on('data', (chunk: Buffer) => {
        total += chunk.length;
        sent += chunk.length;
        if (options.cutAfterBytes !== undefined && total > options.cutAfterBytes) {
          cuts++;
          up.destroy();
          res.socket?.destroy();
          return;
        }
        res.write(chunk);
      });
      up.on('end', () => {
        const hook = options.beforeEnd;
        if (hook && hook.pattern.test(req.url ?? '') && sent >= hook.minBytes) {
          void hook.run().then(() => res.end(), () => res.socket?.destroy());
        } else {
          res.end();
        }
      });
    });
    upstream.on('error', () => res.socket?.destroy());
    req.pipe(upstream);
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/`, port, stop: closer(server), authorizedRequests: () => authorized, cuts: () => cuts };
}
