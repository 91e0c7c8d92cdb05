import type { PageContext } from './context.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, layout } from './layout.js';

export interface Confirmation {
  readonly title: string;
  /** What will happen, in one or two sentences. */
  readonly question: SafeHtml | string;
  /** Where the form posts; the same URL a GET showed this page at. */
  readonly action: string;
  /** Hidden fields the action needs, besides `csrf` and `confirmed`. */
  readonly fields: Readonly<Record<string, string>>;
  readonly button: string;
  /** Where "Cancel" leads back to. */
  readonly cancel: string;
}

/**
 * The confirmation step of a destructive action, without JavaScript: a GET shows this page, whose
 * form posts with `confirmed=1` and the session's CSRF token. A POST without `confirmed=1` is sent
 * back here (see `isConfirmed`).
 */
export function confirmPage(ctx: PageContext, c: Confirmation): SafeHtml {
  return layout(ctx, {
    title: c.title,
    body: html`<section class="box confirm" id="confirm"><header><strong>${c.title}</strong></header><form class="stack markdown" method="post" action="${c.action}">${csrfField(ctx)}<input type="hidden" name="confirmed" value="1">${Object.entries(c.fields).map(
      ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
    )}<p>${c.question}</p><div class="actions"><button class="danger-solid" type="submit">${c.button}</button><a href="${c.cancel}">Cancel</a></div></form></section>`,
  });
}

/** True when a destructive form was posted from its confirmation page. */
export function isConfirmed(form: URLSearchParams): boolean {
  return form.get('confirmed') === '1';
}

/** `path?k=v&…`: the confirmation page's URL for the same fields. */
export function confirmUrl(path: string, fields: Readonly<Record<string, string>>): string {
  return `${path}?${new URLSearchParams(fields).toString()}`;
}
