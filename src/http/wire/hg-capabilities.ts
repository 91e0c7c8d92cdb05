import type { Subject } from '../../access/subject.js';

/**
 * The capabilities Ferry adds to hgweb's answer to `capabilities` (a space-separated list,
 * mercurial/wireprotov1server.py `_capabilities`).
 *
 * - `clonebundles` when a clone bundle is offered for the repo.
 * - `httppostargs` (hg sends a command's arguments in the POST body, not as `X-HgArg-N` headers:
 *   a pull from a repo with thousands of heads stays one small request head) only to a client
 *   that sent credentials. hg asks for credentials only when answered 401, and on that retry it
 *   rewinds a body only when it is a plain bundle file (mercurial/url.py `_gen_sendfile`): an
 *   `unbundle` whose arguments ride in front of the bundle (httppeer `_multifile`) is sent again
 *   EMPTY, so an anonymous session that goes on to push would stall. A signed-in client sends its
 *   credentials with every later request (url.py `httpbasicauthhandler.http_request`), so no such
 *   retry happens. Anonymous clients send headers, which Ferry takes up to MAX_REQUEST_HEAD_BYTES.
 */
export function addedHgCapabilities(subject: Subject, cloneBundles: boolean): string[] {
  const added: string[] = [];
  if (cloneBundles) added.push('clonebundles');
  if (subject.kind !== 'anonymous') added.push('httppostargs');
  return added;
}

/** hgweb's `capabilities` body with `added` appended (each once). */
export function withCapabilities(body: Buffer, added: readonly string[]): Buffer {
  const have = new Set(body.toString('latin1').split(' '));
  const extra = added.filter((c) => !have.has(c));
  return extra.length === 0 ? body : Buffer.concat([body, Buffer.from(extra.map((c) => ` ${c}`).join(''), 'latin1')]);
}
