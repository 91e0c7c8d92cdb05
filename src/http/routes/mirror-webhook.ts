import type { IncomingMessage, ServerResponse } from 'node:http';
import { FerryError } from '../../domain/errors.js';
import { parseRepoPath } from '../../domain/repo-path.js';
import type { MirrorService } from '../../mirrors/service.js';
import { sendError } from '../errors.js';
import type { HttpRoute } from '../route.js';

const PREFIX = '/api/v1/mirrors/';
const SUFFIX = '/sync';
const MAX_BODY = 25 * 1024 * 1024;

/**
 * `POST /api/v1/mirrors/PATH/sync`: a source host's push webhook asks for a sync. Authenticated
 * by the mirror's own secret (HMAC-SHA256 signature headers or the plain token); answers 202 and
 * syncs in the background (a sync already running is followed by one more).
 */
export function mirrorWebhookRoute(mirrors: MirrorService): HttpRoute {
  return {
    name: 'mirror-webhook',
    async handle(req, res, url) {
      if (!url.pathname.startsWith(PREFIX) || !url.pathname.endsWith(SUFFIX)) return false;
      try {
        await answer(mirrors, req, res, url.pathname.slice(PREFIX.length, -SUFFIX.length));
      } catch (err) {
        sendError(res, err, { json: true });
      }
      return true;
    },
  };
}

async function answer(mirrors: MirrorService, req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
  if (req.method !== 'POST') {
    sendError(res, new FerryError('FERRY_USAGE', 'use POST to ask for a sync'), { json: true, headers: { Allow: 'POST' } });
    return;
  }
  const path = parseRepoPath(decodeURIComponent(rawPath));
  const body = await readBody(req);
  const mirror = await mirrors.byPath(path);
  if (!mirror) throw new FerryError('FERRY_NOT_FOUND', `no mirror at ${path}`);
  const verdict = mirrors.webhookAuthorized(mirror, req.headers, body);
  if (verdict === 'missing') {
    throw new FerryError('FERRY_AUTH_REQUIRED', 'sign the request with the mirror secret (X-Hub-Signature-256, X-Gitea-Signature, X-Gitlab-Token or Authorization: Bearer)');
  }
  if (!verdict) throw new FerryError('FERRY_ACCESS_DENIED', 'the signature or token does not match this mirror\'s secret (ferry mirror secret PATH makes a new one)');
  const event = req.headers['x-github-event'];
  if (event === 'ping') {
    json(res, 200, { status: 'pong' });
    return;
  }
  mirrors.requestSync(mirror);
  json(res, 202, { status: 'sync queued', path });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new FerryError('FERRY_TOO_LARGE', 'webhook payload over 25 MB');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
