import { NotFoundError } from '../../domain/errors.js';
import { isPlausibleRef, type ArchiveFormat } from '../../vcs/browse.js';
import type { PageContext } from '../context.js';
import { urlPath } from '../html.js';
import { resolveOrThrow } from './files.js';
import type { RepoView } from './repo-shell.js';
import { contentDisposition } from '../../http/content-disposition.js';

const FORMATS: readonly { suffix: string; format: ArchiveFormat; type: string }[] = [
  { suffix: '.tar.gz', format: 'tar.gz', type: 'application/gzip' },
  { suffix: '.zip', format: 'zip', type: 'application/zip' },
];

/** `/PATH/-/archive/REF.tar.gz` for a ref (branch, tag or commit id). */
export function archiveUrl(view: RepoView, ref: string, format: ArchiveFormat): string {
  return `${view.base}/-/archive/${urlPath(ref)}.${format}`;
}

/**
 * Streams `/PATH/-/archive/REF.tar.gz` or `.zip`: `git archive` / `hg archive … -` write to a pipe
 * that is piped to the response as it comes (never held in memory); a client that goes away stops
 * the archiver. Entries sit under `NAME-REF/`. The ref is checked (a plausible name, then resolved
 * to a commit id, which is all the archiver is given) before anything is started.
 * @throws NotFoundError another suffix, or a ref that names nothing
 */
export async function sendArchive(ctx: PageContext, view: RepoView, rest: string): Promise<void> {
  const kind = FORMATS.find((f) => rest.endsWith(f.suffix));
  if (!kind) throw new NotFoundError('an archive is REF.tar.gz or REF.zip, e.g. /-/archive/main.tar.gz');
  const ref = rest.slice(0, -kind.suffix.length);
  if (!isPlausibleRef(ref)) throw new NotFoundError(`no branch, tag or commit named ${JSON.stringify(ref.slice(0, 80))}`);
  const id = await resolveOrThrow(view.browser, ref);
  // Only plain characters in the prefix: hg expands `%` sequences in `archive -p` (hg help archive).
  const name = `${view.repo.path.split('/').pop() ?? 'repo'}-${ref.replace(/[^A-Za-z0-9._+-]/g, '-')}`;
  const immutable = ref === id && view.repo.isPublic;
  ctx.res.writeHead(200, {
    'Content-Type': kind.type,
    'Content-Disposition': contentDisposition('attachment', `${name}${kind.suffix}`),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'private, no-cache',
  });
  if (ctx.req.method === 'HEAD') {
    ctx.res.end();
    return;
  }
  const archiver = view.browser.archive(id, kind.format, name);
  const stop = (): void => archiver.kill();
  ctx.res.on('close', stop);
  archiver.stdout.pipe(ctx.res, { end: false });
  const code = await archiver.exited;
  ctx.res.off('close', stop);
  // A failed archiver leaves a cut download, never one that looks whole.
  if (code !== 0) ctx.res.destroy();
  else ctx.res.end();
}
