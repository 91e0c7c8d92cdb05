import { InvalidInputError } from '../../domain/errors.js';
import type { Repo, Webhook, WebhookDelivery } from '../../store/types.js';
import { WEBHOOK_EVENTS } from '../../webhooks/service.js';
import { confirmPage, confirmUrl, isConfirmed } from '../confirm.js';
import type { PageContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { shortDate } from '../layout.js';
import { redirect, sendHtml } from '../respond.js';

/** The events a new hook's form has ticked (the service's own default). */
const DEFAULT_EVENTS = new Set(['push', 'create', 'delete']);

/**
 * The Webhooks section of a repo's settings page (docs/webhooks.md): each hook's URL, events,
 * state and last delivery, a form to add one, and buttons to remove a hook (through a confirmation
 * page) or redeliver its last delivery. A hook's secret is never shown back, only whether it has one.
 * @param url the settings URL of an action (`hooks`, `hooks/remove`, `hooks/redeliver`)
 * @param csrf the session's CSRF hidden field
 */
export async function hooksSection(ctx: PageContext, repo: Repo, url: (action: string) => string, csrf: SafeHtml): Promise<SafeHtml> {
  const hooks = await ctx.app.webhooks.list(repo);
  const rows = await Promise.all(hooks.map(async (hook) => ({ hook, last: (await ctx.app.webhooks.deliveries(repo, hook.id, { limit: 1, offset: 0 }))[0] })));
  return html`<section class="box" id="webhooks"><header><strong>Webhooks</strong><span class="muted small">signed POSTs to other tools when refs move</span></header>
<ul class="list" id="hook-list">${rows.length === 0 ? html`<li class="muted">No webhooks.</li>` : rows.map(
    ({ hook, last }) => html`<li class="hook" data-hook-id="${String(hook.id)}"><span class="grow"><span class="mono hook-url">${hook.url}</span> <span class="badge hook-state">${hookState(hook)}</span><br><span class="muted small">events: <span class="hook-events">${hook.events.join(', ')}</span> · ${hook.sealedSecret === '' ? 'unsigned' : 'signed with a secret'}</span><br><span class="small hook-last">${lastDelivery(last)}</span></span>
${last ? html`<form method="post" action="${url('hooks/redeliver')}">${csrf}<input type="hidden" name="delivery" value="${String(last.id)}"><button type="submit" class="hook-redeliver">Redeliver</button></form>` : ''}<a class="button danger hook-remove" href="${confirmUrl(url('hooks/remove'), { id: String(hook.id) })}">Remove</a></li>`,
  )}</ul>
<form class="stack markdown" method="post" action="${url('hooks')}" id="hook-add">${csrf}<label for="hook-url">Add a webhook: payload URL</label><input id="hook-url" type="url" name="url" required placeholder="https://ci.example.com/hook" autocomplete="off" spellcheck="false">
<label for="hook-secret">Secret (signs each delivery; optional)</label><input id="hook-secret" type="password" name="secret" autocomplete="new-password">
<fieldset class="row"><legend>Events</legend>${WEBHOOK_EVENTS.map((e) => html`<label><input type="checkbox" name="events" value="${e}"${DEFAULT_EVENTS.has(e) ? html` checked` : ''}> ${e}</label>`)}</fieldset>
<div><button class="primary" type="submit">Add webhook</button></div></form></section>`;
}

function hookState(hook: Webhook): string {
  if (hook.disabledAt !== null) return `disabled after ${hook.failures} failures`;
  return hook.active ? 'active' : 'inactive';
}

function lastDelivery(d: WebhookDelivery | undefined): string {
  if (!d) return 'No deliveries yet.';
  const status = d.responseStatus !== null ? `HTTP ${d.responseStatus}` : (d.error ?? 'no answer yet');
  return `Last delivery: ${d.event} ${d.state} (${status}) · ${shortDate(d.deliveredAt ?? d.createdAt)} UTC`;
}

/**
 * Performs a webhook form's POST; false when `action` is not one of them. Adding goes through the
 * webhooks service (URL policy, events, secret length); removing asks for confirmation first.
 * @param back answers 303 to the settings page with a flash saying what was done
 * @throws FerryError from the service (shown as the page's error flash by the caller)
 */
export async function performHookAction(ctx: PageContext, repo: Repo, action: string, form: URLSearchParams, url: (action: string) => string, back: (done: string) => void): Promise<boolean> {
  const { webhooks } = ctx.app;
  switch (action) {
    case 'hooks': {
      const secret = form.get('secret') ?? '';
      const hook = await webhooks.add(repo, { url: (form.get('url') ?? '').trim(), ...(secret !== '' ? { secret } : {}), events: form.getAll('events') });
      back(`Added webhook ${hook.id} to ${hook.url}.`);
      return true;
    }
    case 'hooks/remove': {
      const id = hookId(form.get('id'));
      if (!isConfirmed(form)) {
        redirect(ctx.res, confirmUrl(url('hooks/remove'), { id: String(id) }));
        return true;
      }
      await webhooks.remove(repo, id);
      back(`Webhook ${id} removed.`);
      return true;
    }
    case 'hooks/redeliver': {
      const queued = await webhooks.redeliver(repo, hookId(form.get('delivery')));
      back(`Delivery ${queued.guid} queued again.`);
      return true;
    }
    default:
      return false;
  }
}

/** The confirmation page of removing a hook; false when `action` is not a hook action. */
export async function hookConfirmation(ctx: PageContext, repo: Repo, action: string, url: (action: string) => string): Promise<boolean> {
  if (action !== 'hooks/remove') return false;
  const id = Number(ctx.url.searchParams.get('id'));
  const hook = (await ctx.app.webhooks.list(repo)).find((h) => h.id === id);
  if (!hook) {
    redirect(ctx.res, url(''));
    return true;
  }
  sendHtml(ctx.req, ctx.res, 200, confirmPage(ctx, {
    title: 'Remove this webhook?',
    question: html`<span class="mono">${hook.url}</span> gets no more deliveries from ${repo.path}.`,
    action: url('hooks/remove'), fields: { id: String(hook.id) }, button: 'Remove webhook', cancel: url(''),
  }), { 'Cache-Control': 'no-store' });
  return true;
}

function hookId(raw: string | null): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id <= 0) throw new InvalidInputError('the form names no webhook or delivery; reload the settings page and try again');
  return id;
}
