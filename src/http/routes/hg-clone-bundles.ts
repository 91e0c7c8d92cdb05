import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { AccessPolicy } from '../../access/policy.js';
import { ANONYMOUS, type Subject } from '../../access/subject.js';
import type { Repo, Stores } from '../../store/types.js';
import type { HgCloneBundles } from '../../vcs/hg/clone-bundles.js';
import type { HttpRoute } from '../route.js';

export const CLONE_BUNDLE_PREFIX = '/-/hg-clone-bundles/';

export interface CloneBundleRouteDeps {
  readonly bundles: HgCloneBundles;
  readonly policy: AccessPolicy;
  readonly stores: Pick<Stores, 'repos' | 'users' | 'keys' | 'tokens'>;
}

/**
 * How a manifest names who asked, for the signature and the access check at fetch: the user and
 * the token or SSH key they signed in with, so a link dies with its credential.
 */
export function subjectKey(subject: Subject): string {
  if (subject.kind === 'anonymous') return 'anonymous';
  if (subject.kind === 'user') {
    const credential = subject.credential;
    const via = credential === undefined ? '' : credential.kind === 'token' ? `:token:${credential.id}` : `:key:${credential.fingerprint}`;
    return `user:${subject.user.id}${via}`;
  }
  return `deploy:${subject.fingerprint}`;
}

/**
 * The clone bundle manifest for `repo` as `subject` may use it: one stream bundle, at a signed
 * URL under `base`; empty (the client clones the usual way) when there is none yet.
 */
export async function cloneBundleManifest(bundles: HgCloneBundles, repo: Repo, subject: Subject, base: string): Promise<string> {
  const key = subjectKey(subject);
  const bundle = await bundles.offer(repo);
  if (!bundle) return '';
  return `${base}${CLONE_BUNDLE_PREFIX}${repo.id}/${bundle.name}?${bundles.sign(repo.id, bundle.name, key)} BUNDLESPEC=${bundle.spec}\n`;
}

/**
 * `GET /-/hg-clone-bundles/REPO_ID/NAME?for=…&expires=…&sig=…`: a bundle file, to the holder of a
 * URL Ferry signed, if the subject it was signed for may still read the repo.
 */
export function cloneBundleRoute(deps: CloneBundleRouteDeps): HttpRoute {
  return {
    name: 'hg-clone-bundles',
    async handle(req, res, url) {
      if (!url.pathname.startsWith(CLONE_BUNDLE_PREFIX)) return false;
      const m = /^(\d+)\/([0-9a-f]{24}\.hg)$/.exec(url.pathname.slice(CLONE_BUNDLE_PREFIX.length));
      const refuse = (status: number, message: string) => {
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(message), 'X-Content-Type-Options': 'nosniff' }).end(message);
        return true;
      };
      if (!m || (req.method !== 'GET' && req.method !== 'HEAD')) return refuse(404, 'no such clone bundle\n');
      const repoId = Number(m[1]);
      const name = m[2] as string;
      const key = deps.bundles.verify(repoId, name, url.searchParams);
      if (key === undefined) return refuse(403, 'this clone bundle link is not valid (expired or altered): clone again to get a new one\n');
      const repo = await deps.stores.repos.byId(repoId);
      const subject = repo ? await subjectOf(deps, key, repo) : undefined;
      if (!repo || !subject || (await deps.policy.levelOn(subject, repo)) === 'none') return refuse(404, 'no such clone bundle\n');
      const bundle = await deps.bundles.find(repoId, name);
      if (!bundle) return refuse(404, 'this clone bundle was replaced by a newer one: clone again\n');
      res.writeHead(200, { 'Content-Type': 'application/mercurial-0.1', 'Content-Length': bundle.size, 'Cache-Control': 'private, no-store' });
      if (req.method === 'HEAD') {
        res.end();
        return true;
      }
      await pipeline(createReadStream(bundle.path), res).catch(() => res.destroy());
      return true;
    },
  };
}

async function subjectOf(deps: CloneBundleRouteDeps, key: string, repo: Repo): Promise<Subject | undefined> {
  if (key === 'anonymous') return ANONYMOUS;
  if (key.startsWith('deploy:')) {
    // A deploy key reads only its own repo, and only while it is still there.
    const fingerprint = key.slice('deploy:'.length);
    const found = (await deps.stores.keys.listForRepo(repo.id)).find((k) => k.fingerprint === fingerprint && k.owner.kind === 'deploy');
    return found?.owner.kind === 'deploy' ? { kind: 'deploy-key', repo, write: false, fingerprint } : undefined;
  }
  const m = /^user:(\d+)(?::(token|key):(.+))?$/.exec(key);
  const user = m === null ? undefined : await deps.stores.users.byId(Number(m[1]));
  if (!m || !user) return undefined;
  if (m[2] === 'token' && !(await deps.stores.tokens.listForUser(user.id)).some((t) => t.id === Number(m[3]))) return undefined;
  if (m[2] === 'key' && !(await deps.stores.keys.listForUser(user.id)).some((k) => k.fingerprint === m[3])) return undefined;
  return { kind: 'user', user, readOnly: true };
}
