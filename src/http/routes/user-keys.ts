import { formatPublicKey, publicKeyFromBlob } from '../../domain/public-key.js';
import type { Stores } from '../../store/types.js';
import type { HttpRoute } from '../route.js';

const KEYS_URL = /^\/([A-Za-z0-9._-]{1,64})\.keys$/;

/**
 * `GET /USER.keys`: a user's public SSH keys as plain text, one `TYPE BASE64` line each (no
 * comment, as GitHub serves them) (what `ssh-import-id` and cloud-init fetch). Public, like theirs.
 * A name that is no user falls through to the next route (a repo may be called `x.keys`).
 */
export function userKeysRoute(stores: Pick<Stores, 'users' | 'keys'>): HttpRoute {
  return {
    name: 'user-keys',
    async handle(req, res, url) {
      const m = KEYS_URL.exec(url.pathname);
      if (!m || (req.method !== 'GET' && req.method !== 'HEAD') || url.searchParams.has('cmd')) return false;
      const user = await stores.users.byName(m[1] as string);
      if (!user) return false;
      const keys = await stores.keys.listForUser(user.id);
      const body = keys.map((k) => `${formatPublicKey(publicKeyFromBlob(k.type, k.blob))}\n`).join('');
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
