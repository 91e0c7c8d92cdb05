import type { IncomingHttpHeaders } from 'node:http';

/**
 * Mercurial wire protocol commands (wireprotov1server), and those of the extensions Ferry's hg
 * loads (evolve's obsolescence-marker discovery, topic's heads, largefiles' putlfile, getlfile,
 * statlfile and lheads — hgext/largefiles/__init__.py); anything else under `?cmd=` is
 * not ours. An evolve or topic client asks for these over HTTP as over SSH.
 */
const HG_COMMANDS = new Set([
  '_exttopics_heads',
  'evoext_obshashrange_v1',
  'batch',
  'between',
  'branchmap',
  'branches',
  'capabilities',
  'changegroup',
  'changegroupsubset',
  'clonebundles',
  'clonebundles_manifest',
  'debugwireargs',
  'getbundle',
  'getlfile',
  'heads',
  'hello',
  'known',
  'listkeys',
  'lheads',
  'lookup',
  'protocaps',
  'pushkey',
  'putlfile',
  'statlfile',
  'stream_out',
  'unbundle',
]);
/** Commands that write: largefiles' putlfile stores a file outside any transaction. */
const HG_WRITE_COMMANDS = new Set(['unbundle', 'pushkey', 'putlfile']);

export type GitService = 'git-upload-pack' | 'git-receive-pack';

export type WireRequest =
  | { readonly vcs: 'hg'; readonly rawPath: string; readonly command: string; readonly access: 'read' | 'write' }
  | { readonly vcs: 'git'; readonly rawPath: string; readonly service: GitService; readonly step: 'advertise' | 'rpc'; readonly access: 'read' | 'write' };

/**
 * Recognises a version-control client's request: hg `/PATH?cmd=…`, git smart HTTP
 * `/PATH/info/refs?service=…`, `/PATH/git-upload-pack`, `/PATH/git-receive-pack`. Anything else
 * (a browser asking `/PATH`, dumb HTTP) is undefined, for the next route.
 */
export function classifyWire(method: string, url: URL, headers: IncomingHttpHeaders): WireRequest | undefined {
  const pathname = url.pathname;
  const cmd = hgCommandOf(url);
  if (cmd === AMBIGUOUS) return undefined;
  if (cmd !== null) {
    if (!HG_COMMANDS.has(cmd) || (method !== 'GET' && method !== 'POST' && method !== 'HEAD')) return undefined;
    const write = HG_WRITE_COMMANDS.has(cmd) || (cmd === 'batch' && batchWrites(url, headers));
    return { vcs: 'hg', rawPath: pathname, command: cmd, access: write ? 'write' : 'read' };
  }
  if (pathname.endsWith('/info/refs') && (method === 'GET' || method === 'HEAD')) {
    const service = url.searchParams.get('service');
    if (service !== 'git-upload-pack' && service !== 'git-receive-pack') return undefined;
    return { vcs: 'git', rawPath: pathname.slice(0, -'/info/refs'.length), service, step: 'advertise', access: accessOf(service) };
  }
  for (const service of ['git-upload-pack', 'git-receive-pack'] as const) {
    if (pathname.endsWith(`/${service}`) && method === 'POST') {
      return { vcs: 'git', rawPath: pathname.slice(0, -service.length - 1), service, step: 'rpc', access: accessOf(service) };
    }
  }
  return undefined;
}

const AMBIGUOUS = Symbol('ambiguous');

/**
 * The `cmd` hgweb will act on. hgweb reads the query into a multidict whose lookup returns the
 * LAST value (mercurial/hgweb/request.py, multidict.__getitem__), where URLSearchParams.get
 * returns the first: a request naming two different commands is no wire request at all (it would
 * let `?cmd=capabilities&cmd=log` past Ferry's check and into hgweb's HTML pages).
 */
function hgCommandOf(url: URL): string | null | typeof AMBIGUOUS {
  const all = url.searchParams.getAll('cmd');
  if (all.length === 0) return null;
  return all.every((c) => c === all[0]) ? (all[0] as string) : AMBIGUOUS;
}

function accessOf(service: GitService): 'read' | 'write' {
  return service === 'git-receive-pack' ? 'write' : 'read';
}

/**
 * Does a `batch` carry a write (pushkey)? Its `cmds` argument comes in the query string or in
 * X-HgArg-1…N headers (concatenated, form-encoded). Arguments sent in the POST body
 * (experimental.httppostargs) are not inspected here: hgweb still refuses a pushkey there unless
 * Ferry marked the request as coming from someone who may push.
 */
function batchWrites(url: URL, headers: IncomingHttpHeaders): boolean {
  let encoded = '';
  for (let i = 1; ; i++) {
    const part = headers[`x-hgarg-${i}`];
    if (typeof part !== 'string') break;
    encoded += part;
  }
  // Every value, wherever it comes from: hgweb acts on one of them (the last), Ferry on all.
  const cmds = [...url.searchParams.getAll('cmds'), ...new URLSearchParams(encoded).getAll('cmds')].join(';');
  return cmds.split(';').some((op) => HG_WRITE_COMMANDS.has(op.trim().split(' ')[0] ?? ''));
}
