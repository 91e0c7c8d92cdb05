import type { PageContext } from './context.js';
import { html, urlPath, type HtmlValue, type SafeHtml } from './html.js';

export interface PageOptions {
  readonly title: string;
  readonly body: HtmlValue;
  /** Extra `<head>` elements (a feed's `<link rel="alternate">`). */
  readonly head?: HtmlValue;
}

/** The page shell: header with sign-in state, the one stylesheet, the one deferred script. */
export function layout(ctx: PageContext, options: PageOptions): SafeHtml {
  const user = ctx.signedIn?.subject.user;
  const account = user
    ? html`<a href="/-/settings">${user.name}</a>${user.isAdmin ? html` <a href="/-/admin">Admin</a>` : ''}
        <form class="inline" method="post" action="/-/signout">${csrfField(ctx)}<button class="link" type="submit">Sign out</button></form>`
    : html`<a href="/-/signin?next=${encodeURIComponent(ctx.url.pathname + ctx.url.search)}">Sign in</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Ferry</title>
<link rel="stylesheet" href="${ctx.assets.css.url}">
<script src="${ctx.assets.js.url}" defer></script>
${options.head ?? ''}</head>
<body>
<header class="top"><nav><a class="brand" href="/">Ferry</a><span class="spacer"></span>${account}</nav></header>
<main>
${options.body}
</main>
</body>
</html>
`;
}

export function csrfField(ctx: PageContext): SafeHtml {
  return ctx.signedIn ? html`<input type="hidden" name="csrf" value="${ctx.signedIn.session.csrf}">` : html``;
}

/** `team / web / app` with each prefix linking to its group page. */
export function crumbs(path: string, last: 'link' | 'text' = 'link'): SafeHtml {
  const parts = path.split('/');
  const out: SafeHtml[] = [];
  for (let i = 0; i < parts.length; i++) {
    const prefix = parts.slice(0, i + 1).join('/');
    const isLast = i === parts.length - 1;
    out.push(isLast ? (last === 'link' ? html`<a href="/${urlPath(prefix)}"><strong>${parts[i]}</strong></a>` : html`<strong>${parts[i]}</strong>`) : html`<a href="/${urlPath(prefix)}/">${parts[i]}</a> / `);
  }
  return html`${out}`;
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

/** `2024-01-02 13:04` from an ISO date, kept in the author's zone. */
export function shortDate(iso: string): string {
  return iso.replace('T', ' ').slice(0, 16);
}

export function summaryOf(message: string): string {
  return message.split('\n')[0] ?? '';
}
