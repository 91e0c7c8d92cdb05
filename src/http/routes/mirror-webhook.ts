import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FerryError } from '../../domain/errors.js';
import { parseRepoPath } from '../../domain/repo-path.js';
import type { MirrorService } from '../../mirrors/service.js';
import { WebhookVerifier, webhookClaimOf } from '../../mirrors/webhook-signature.js';
import { streamBody } from '../body.js';
import { sendError } from '../errors.js';
import type { HttpRoute } from '../route.js';

const PREFIX = '/api/v1/mirrors/';
const SUFFIX = '/sync';
/** GitHub caps webhook payloads at 25 MB. */
const MAX_BODY = 25 * 1024 * 1024;

/**
 * `POST /api/v1/mirrors/PATH/sync`: a source host's push webhook asks for a sync. Authenticated
 * by the mirror's own secret (HMAC-SHA256 signature headers or the plain token); answers 202 and
 * syncs in the background (a sync already running is followed by one more).
 *
 * Nothing is read before the head is checked (the path, a signature header, the size), and the
 * body is never held: it streams through the HMAC. A path with no mirror, or one the signature
 * does not fit, get the same answer after the same work, so nobody learns which mirrors exist.
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
  // Authentication before validation (as the REST API): an unsigned request is 401 whatever its path.
  const claim = webhookClaimOf(req.headers);
  if (!claim) {
    throw new FerryError('FERRY_AUTH_REQUIRED', 'sign the request with the mirror secret (X-Hub-Signature-256, X-Gitea-Signature, X-Gitlab-Token or Authorization: Bearer)');
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw new FerryError('FERRY_INVALID_INPUT', 'malformed URL escape in the mirror path');
  }
  const path = parseRepoPath(decoded);
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY) throw new FerryError('FERRY_TOO_LARGE', 'webhook payload over 25 MB');
  const mirror = await mirrors.byPath(path);
  // No mirror: the same work with a secret nobody has, then the same answer as a wrong signature.
  const verifier = new WebhookVerifier(claim, mirror ? mirrors.webhookSecret(mirror) : randomBytes(24).toString('base64url'));
  await streamBody(req, MAX_BODY, 'webhook payload', (chunk) => verifier.update(chunk));
  if (!verifier.matches() || !mirror) {
    throw new FerryError('FERRY_NOT_FOUND', `no mirror at ${path} takes this signature or token: check the URL and the secret (ferry mirror secret PATH makes a new one)`);
  }
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
