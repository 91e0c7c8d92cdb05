import type { Context } from 'hono';
import { z } from '@hono/zod-openapi';
import type { ApiEnv } from './env.js';
import { queryInt } from './query.js';

/**
 * Gitea's defaults: 30 items a page unless asked; a page holds at most 100 here (Gitea's
 * MAX_RESPONSE_ITEMS is 50 by default, an admin setting). A larger `limit` is lowered to the
 * maximum, not refused, as Gitea's convert.ToCorrectPageSize does; 0 means the default.
 */
export const DEFAULT_LIMIT = 30;
export const MAX_LIMIT = 100;

/** `?page=` (1-based) and `?limit=`, as Gitea's API takes them. */
export const PageQuery = z.object({
  page: queryInt({ min: 1, default: 1, zeroIsDefault: true, description: 'page number, from 1' }),
  limit: queryInt({ min: 1, default: DEFAULT_LIMIT, clamp: MAX_LIMIT, zeroIsDefault: true, description: 'page size' }),
});
export type Page = z.infer<typeof PageQuery>;

/**
 * One page of a list held in memory, with Gitea's headers: `X-Total-Count` and a `Link` header
 * (RFC 8288) with rel `next`, `prev`, `first` and `last` as applicable.
 */
export function paginate<T>(c: Context<ApiEnv>, items: readonly T[], page: Page): T[] {
  const start = (page.page - 1) * page.limit;
  setPageHeaders(c, page, { total: items.length });
  return items.slice(start, start + page.limit);
}

/**
 * Sets the paging headers. With `total` known: X-Total-Count and every Link rel; with only
 * `hasMore` (a commit log, whose length is not counted): `next` while there is more, `prev`,
 * `first`, and `X-HasMore` as Gitea sends for commits.
 */
export function setPageHeaders(c: Context<ApiEnv>, page: Page, known: { total: number } | { hasMore: boolean }): void {
  const url = new URL(c.req.url);
  const link = (n: number, rel: string): string => {
    url.searchParams.set('page', String(n));
    url.searchParams.set('limit', String(page.limit));
    return `<${url.href}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if ('total' in known) {
    const last = Math.max(1, Math.ceil(known.total / page.limit));
    if (page.page < last) links.push(link(page.page + 1, 'next'), link(last, 'last'));
    if (page.page > 1) links.push(link(1, 'first'), link(Math.min(page.page - 1, last), 'prev'));
    c.header('X-Total-Count', String(known.total));
  } else {
    if (known.hasMore) links.push(link(page.page + 1, 'next'));
    if (page.page > 1) links.push(link(1, 'first'), link(page.page - 1, 'prev'));
    c.header('X-HasMore', String(known.hasMore));
  }
  if (links.length > 0) c.header('Link', links.join(', '));
  c.header('Access-Control-Expose-Headers', 'Link, X-Total-Count, X-HasMore');
}
