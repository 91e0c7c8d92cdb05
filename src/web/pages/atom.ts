import { NotFoundError } from '../../domain/errors.js';
import type { CommitInfo } from '../../vcs/browse.js';
import type { PageContext } from '../context.js';
import { escapeHtml } from '../html.js';
import { summaryOf } from '../layout.js';
import type { RepoView } from './repo-shell.js';
import { queryString, searchParam } from '../../domain/byte-names.js';

/** Entries in a feed: the newest commits. */
const FEED_SIZE = 30;

/** XML 1.0 allows no C0 controls but TAB, LF and CR (XML 1.0 §2.2 Char); they are dropped. */
function xml(text: string): string {
  return escapeHtml(text.replace(/[\0-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, ''));
}

function entry(ctx: PageContext, view: RepoView, c: CommitInfo): string {
  const url = `${ctx.baseUrl}${view.base}/-/commit/${c.id}`;
  const date = Number.isNaN(Date.parse(c.date)) ? new Date(0).toISOString() : c.date;
  return `<entry>
<id>${xml(url)}</id>
<title>${xml(summaryOf(c.message) || c.id.slice(0, 12))}</title>
<updated>${xml(date)}</updated>
<author><name>${xml(c.author || 'unknown')}</name>${c.email ? `<email>${xml(c.email)}</email>` : ''}</author>
<link rel="alternate" type="text/html" href="${xml(url)}"/>
<content type="text">${xml(c.message.trimEnd())}</content>
</entry>
`;
}

/**
 * `/PATH/-/atom[?branch=NAME]`: the newest commits of the repo (every branch) or of one branch as
 * an Atom 1.0 feed (RFC 4287): feed id, title, updated and a self link; per entry an id (the
 * commit page's URL, which never changes), title, updated (the author date), author, link, content.
 * Readable exactly by those who may read the repo.
 * @throws NotFoundError for a branch the repo does not have
 */
export async function sendAtom(ctx: PageContext, view: RepoView): Promise<void> {
  const branch = searchParam(ctx.url.search, 'branch') || undefined;
  if (branch !== undefined && !(await view.browser.branches()).some((b) => b.name === branch)) {
    throw new NotFoundError(`no branch named ${JSON.stringify(branch.slice(0, 80))} in this repository: see ${view.base}/-/branches`);
  }
  const commits = await view.browser.log({ ref: branch, offset: 0, limit: FEED_SIZE });
  const self = `${ctx.baseUrl}${view.base}/-/atom${branch ? `?${queryString({ branch })}` : ''}`;
  const logUrl = `${ctx.baseUrl}${view.base}/-/log${branch ? `?${queryString({ ref: branch })}` : ''}`;
  const updated = commits.map((c) => Date.parse(c.date)).filter((t) => !Number.isNaN(t)).reduce((a, b) => Math.max(a, b), 0);
  const body = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<id>${xml(self)}</id>
<title>${xml(`${view.repo.path}${branch ? ` (${branch})` : ''} commits`)}</title>
<updated>${new Date(updated).toISOString()}</updated>
<link rel="self" type="application/atom+xml" href="${xml(self)}"/>
<link rel="alternate" type="text/html" href="${xml(logUrl)}"/>
<author><name>${xml(view.repo.path)}</name></author>
<generator>Ferry</generator>
${commits.map((c) => entry(ctx, view, c)).join('')}</feed>
`;
  const buf = Buffer.from(body, 'utf8');
  ctx.res.writeHead(200, {
    'Content-Type': 'application/atom+xml; charset=utf-8',
    'Content-Length': buf.length,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': view.repo.isPublic ? 'no-cache' : 'private, no-cache',
  });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : buf);
}
