import { spawn, type ChildProcess } from 'node:child_process';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { FerryError } from '../../domain/errors.js';
import type { RepoPath } from '../../domain/repo-path.js';
import { relayBody } from './relay.js';
import { gitConfigEnv } from '../../vcs/git/server-config.js';
import type { Logger } from '../../log/logger.js';

export interface GitHttpRequest {
  readonly repo: RepoPath;
  /** `/info/refs`, `/git-upload-pack` or `/git-receive-pack`. */
  readonly suffix: string;
  readonly query: string;
  /** Validated `Git-Protocol` header (`version=2`), or undefined. */
  readonly gitProtocol: string | undefined;
  /** The caller may push: only then is receive-pack enabled for this one process. */
  readonly push: boolean;
  readonly remoteUser: string;
  /** Runs after a successful response body, before the client gets its last bytes. */
  readonly beforeEnd?: () => Promise<void>;
  /** The request body, already read by Ferry (instead of reading it from `req`). */
  readonly body?: Buffer;
  /** Sees every chunk of an identity-encoded request body, unchanged (git push options). */
  readonly observeBody?: (chunk: Buffer) => void;
}

const MAX_CGI_HEADER = 16 * 1024;

/**
 * Git smart HTTP through `git http-backend` (a CGI program in C: it starts in a few ms, decodes
 * gzip request bodies and speaks protocol v0 and v2). Ferry has authorized the request already.
 */
export async function serveGitHttp(
  git: { readonly executable: string; readonly env: NodeJS.ProcessEnv },
  reposDir: string,
  req: IncomingMessage,
  res: ServerResponse,
  request: GitHttpRequest,
  log: Logger,
): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...git.env,
    GIT_PROJECT_ROOT: reposDir,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: `/${request.repo}${request.suffix}`,
    REQUEST_METHOD: req.method ?? 'GET',
    QUERY_STRING: request.query,
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_USER: request.remoteUser,
    REMOTE_ADDR: req.socket.remoteAddress ?? '',
    ...gitConfigEnv([
      ['http.receivepack', request.push ? 'true' : 'false'],
      ['http.uploadpack', 'true'],
    ]),
  };
  const length = request.body ? String(request.body.length) : req.headers['content-length'];
  if (length !== undefined) env.CONTENT_LENGTH = length;
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined) env.HTTP_CONTENT_ENCODING = encoding;
  if (request.gitProtocol !== undefined) env.GIT_PROTOCOL = request.gitProtocol;

  const child = spawn(git.executable, ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (b: Buffer) => stderr.push(b));
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', (err) => reject(new FerryError('FERRY_VCS_FAILED', `could not run git http-backend: ${err.message}`, { cause: err })));
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  exited.catch(() => {});
  res.once('close', () => {
    if (!res.writableFinished) endChild(child);
  });
  child.stdin.on('error', () => {});
  if (req.method === 'POST' && request.observeBody && encoding === undefined) req.on('data', request.observeBody);
  if (req.method === 'POST' && request.body) {
    child.stdin.end(request.body);
  } else if (req.method === 'POST') {
    pipeline(req, child.stdin).catch(() => child.stdin.destroy());
    // A client cut off before its body is whole: git gets the end of its input and is ended too.
    // Left to itself on that end, git http-backend 2.39 was seen reading it for ever at full CPU
    // (a CONTENT_LENGTH body cut short), holding the push-to-create repo it was given.
    req.once('close', () => {
      if (req.complete) return;
      child.stdin.destroy();
      endChild(child);
    });
  }
  else child.stdin.end();

  const { status, headers, rest } = await readCgiHeaders(child.stdout);
  res.writeHead(status, headers);
  let pushed = false;
  await relayBody(child.stdout, res, {
    first: rest,
    // Holding the last bytes needs the exit status first: a failed receive-pack changed nothing.
    beforeLast: request.beforeEnd && status === 200
      ? async () => {
          const code = await exited;
          if (code === 0) {
            pushed = true;
            await (request.beforeEnd as () => Promise<void>)();
          }
        }
      : undefined,
  });
  const code = await exited;
  if (code !== 0 || stderr.length > 0) {
    log.warn({ repo: request.repo, code, pushed, stderr: Buffer.concat(stderr).toString('utf8').trim().slice(0, 2000) }, 'git http-backend');
  }
}

/** SIGTERM now, SIGKILL 5 s later if `child` is still there. */
function endChild(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 5_000).unref();
}

/** Reads the CGI header block (`Status:` and headers up to the blank line). */
async function readCgiHeaders(stream: NodeJS.ReadableStream & AsyncIterable<Buffer>): Promise<{ status: number; headers: OutgoingHttpHeaders; rest: Buffer }> {
  let buffered = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const crlf = buffered.indexOf('\r\n\r\n');
      const lf = buffered.indexOf('\n\n');
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? { at: crlf, size: 4 } : lf >= 0 ? { at: lf, size: 2 } : undefined;
      if (!end) {
        if (buffered.length > MAX_CGI_HEADER) finish(new FerryError('FERRY_VCS_FAILED', 'git http-backend sent an oversized header'));
        return;
      }
      stream.pause();
      finish(undefined, parseCgiHeaders(buffered.subarray(0, end.at).toString('latin1')), buffered.subarray(end.at + end.size));
    };
    const onEnd = () => finish(new FerryError('FERRY_VCS_FAILED', 'git http-backend ended without a response'));
    const finish = (err: FerryError | undefined, head?: { status: number; headers: OutgoingHttpHeaders }, rest?: Buffer) => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', reject);
      if (err || !head) reject(err);
      else resolve({ ...head, rest: rest ?? Buffer.alloc(0) });
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', reject);
  });
}

function parseCgiHeaders(block: string): { status: number; headers: OutgoingHttpHeaders } {
  let status = 200;
  const headers: OutgoingHttpHeaders = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}
