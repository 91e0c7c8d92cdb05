import type { PageContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { layout } from '../layout.js';

export function errorPage(ctx: PageContext, status: number, message: string): SafeHtml {
  const title = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : status === 401 ? 'Sign in required' : status >= 500 ? 'Server error' : 'Bad request';
  const hint = status === 404 && !ctx.signedIn ? html`<p>If this is a private repository, <a href="/-/signin?next=${encodeURIComponent(ctx.url.pathname)}">sign in</a> first.</p>` : '';
  return layout(ctx, { title, body: html`<h1>${title}</h1><p class="muted">${message}</p>${hint}<p><a href="/">Back to the repositories</a></p>` });
}
