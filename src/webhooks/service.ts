import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import type { RepoChanged } from '../events/repo-events.js';
import type { Logger } from '../log/logger.js';
import type { SecretBox } from '../mirrors/secret-box.js';
import type { Repo, Webhook, WebhookDelivery, WebhookEvent, WebhookStore } from '../store/types.js';
import { readRefs, type RefPrograms, type RefUpdate } from '../vcs/refs.js';
import { commitDetail, updateHistory } from './commits.js';
import { pushPayload, refPayload, type RepoLinks } from './payload.js';
import { parseHookUrl, type TargetPolicy } from './target-policy.js';

export const WEBHOOK_EVENTS: readonly WebhookEvent[] = ['push', 'create', 'delete', 'repository'];

/** Commits listed in one push payload (GitHub lists 20; `total_commits` counts them all). */
export const COMMITS_PER_PAYLOAD = 20;

const SECRET_CONTEXT = 'webhook';

export interface WebhookServiceDeps {
  readonly store: WebhookStore;
  readonly box: SecretBox;
  readonly policy: TargetPolicy;
  readonly programs: RefPrograms;
  readonly directoryOf: (repo: Repo) => string;
  readonly log: Logger;
  /** Where the repo is reached; the running server sets the bound ports (setLinks). */
  readonly links: RepoLinks;
}

/**
 * A repo's outbound webhooks: adding, listing, removing, the deliveries each made, and turning a
 * repo change (its ref updates) into queued deliveries (rows first: a restart loses none). The
 * delivery worker (worker.ts) sends them. docs/webhooks.md describes what users see.
 */
export class WebhookService {
  private links: RepoLinks;
  private readonly queuedListeners: (() => void)[] = [];

  constructor(private readonly deps: WebhookServiceDeps) {
    this.links = deps.links;
  }

  /** The bases of the running servers (their ports may have been picked at start). */
  setLinks(links: RepoLinks): void {
    this.links = links;
  }

  /** Called whenever a delivery is queued (the worker wakes up). */
  onQueued(listener: () => void): void {
    this.queuedListeners.push(listener);
  }

  /**
   * Adds a hook. `events` defaults to push, create and delete.
   * @throws FerryError FERRY_UNSAFE_HOOK_URL (target-policy.ts), FERRY_INVALID_INPUT for an unknown event.
   */
  async add(repo: Repo, input: { url: string; secret?: string; events?: readonly string[]; active?: boolean }): Promise<Webhook> {
    const { url } = parseHookUrl(input.url, this.deps.policy);
    checkSecretLength(input.secret);
    const events = parseEvents(input.events ?? ['push', 'create', 'delete']);
    const sealedSecret = input.secret ? this.deps.box.seal(input.secret, SECRET_CONTEXT) : '';
    return this.deps.store.create(repo.id, { url: url.href, sealedSecret, events, active: input.active ?? true });
  }

  async list(repo: Repo): Promise<Webhook[]> {
    return this.deps.store.listForRepo(repo.id);
  }

  /** The hook `id` of `repo`. @throws NotFoundError FERRY_HOOK_NOT_FOUND when another repo's or none. */
  async get(repo: Repo, id: number): Promise<Webhook> {
    const hook = await this.deps.store.byId(id);
    if (!hook || hook.repoId !== repo.id) throw new NotFoundError(`no webhook ${id} on ${repo.path}; list the repo's hooks to see their ids`, 'FERRY_HOOK_NOT_FOUND', { id });
    return hook;
  }

  /** Changes a hook; any change re-enables a hook disabled after failures. */
  async update(repo: Repo, id: number, changes: { url?: string; secret?: string; events?: readonly string[]; active?: boolean }): Promise<Webhook> {
    checkSecretLength(changes.secret);
    await this.get(repo, id);
    return this.deps.store.update(id, {
      ...(changes.url !== undefined ? { url: parseHookUrl(changes.url, this.deps.policy).url.href } : {}),
      ...(changes.secret !== undefined ? { sealedSecret: changes.secret === '' ? '' : this.deps.box.seal(changes.secret, SECRET_CONTEXT) } : {}),
      ...(changes.events !== undefined ? { events: parseEvents(changes.events) } : {}),
      ...(changes.active !== undefined ? { active: changes.active } : {}),
    });
  }

  async remove(repo: Repo, id: number): Promise<void> {
    await this.get(repo, id);
    await this.deps.store.remove(id);
  }

  async deliveries(repo: Repo, id: number, page: { limit: number; offset: number } = { limit: 50, offset: 0 }): Promise<WebhookDelivery[]> {
    await this.get(repo, id);
    return this.deps.store.deliveries(id, page);
  }

  /** A delivery of one of `repo`'s hooks. @throws NotFoundError FERRY_HOOK_NOT_FOUND. */
  async delivery(repo: Repo, deliveryId: number): Promise<WebhookDelivery> {
    const delivery = await this.deps.store.delivery(deliveryId);
    const hook = delivery && (await this.deps.store.byId(delivery.hookId));
    if (!delivery || !hook || hook.repoId !== repo.id) throw new NotFoundError(`no delivery ${deliveryId} on ${repo.path}; see ferry hook deliveries ${repo.path} HOOK`, 'FERRY_HOOK_NOT_FOUND', { deliveryId });
    return delivery;
  }

  /**
   * Sends a delivery's payload again (same event and delivery id, as GitHub redelivers), now. A hook
   * disabled after failures is enabled again (its failure count starts over): asking for a
   * redelivery is how an admin says the receiver is fixed.
   */
  async redeliver(repo: Repo, deliveryId: number): Promise<WebhookDelivery> {
    const old = await this.delivery(repo, deliveryId);
    const hook = await this.get(repo, old.hookId);
    if (hook.disabledAt !== null) await this.deps.store.update(hook.id, {});
    const queued = await this.deps.store.enqueue(old.hookId, { guid: old.guid, event: old.event, payload: old.payload, nextAttemptAt: Date.now(), redeliveryOf: old.id });
    this.queued();
    return queued;
  }

  /** The hook's secret in clear, to sign with ('' when it has none). */
  secretOf(hook: Webhook): string {
    return hook.sealedSecret === '' ? '' : this.deps.box.open(hook.sealedSecret, SECRET_CONTEXT);
  }

  /**
   * Queues the deliveries a change calls for: per moved ref a `push` event, and `create` or
   * `delete` when the ref appeared or went, to every active hook that subscribed. Payloads are
   * built now (the commits as they are at the push) and stored with the delivery.
   */
  async repoChanged(event: RepoChanged): Promise<void> {
    const updates = event.refUpdates ?? [];
    if (updates.length === 0 || event.cause === 'admin') return;
    const hooks = (await this.deps.store.listForRepo(event.repo.id)).filter((h) => h.active && h.disabledAt === null);
    if (hooks.length === 0) return;
    const wanted = new Set(hooks.flatMap((h) => h.events));
    const payloads: { event: WebhookEvent; body: string }[] = [];
    const context = { links: this.links, defaultBranch: await this.defaultBranch(event.repo), pusher: event.pusher ?? 'ferry' };
    for (const update of updates) {
      if (wanted.has('create') && update.before === null) payloads.push({ event: 'create', body: JSON.stringify(refPayload(event.repo, update, context)) });
      if (wanted.has('delete') && update.after === null) payloads.push({ event: 'delete', body: JSON.stringify(refPayload(event.repo, update, context)) });
      if (wanted.has('push')) payloads.push({ event: 'push', body: JSON.stringify(await this.push(event, update, updates, context)) });
    }
    const now = Date.now();
    for (const hook of hooks) {
      for (const p of payloads) {
        if (hook.events.includes(p.event)) await this.deps.store.enqueue(hook.id, { guid: randomUUID(), event: p.event, payload: p.body, nextAttemptAt: now });
      }
    }
    this.queued();
  }

  private async push(event: RepoChanged, update: RefUpdate, all: readonly RefUpdate[], context: { links: RepoLinks; defaultBranch: string | undefined; pusher: string }): Promise<Record<string, unknown>> {
    const dir = this.deps.directoryOf(event.repo);
    let history = { commits: [], total: 0, forced: false } as Awaited<ReturnType<typeof updateHistory>>;
    let head;
    if (update.after !== null) {
      // A new ref lists what no ref held before; a moved one what its old id did not have.
      const exclude = update.before !== null ? [update.before] : [...new Set(all.flatMap((u) => (u.before !== null ? [u.before] : [])).concat(await this.untouchedIds(event, all)))];
      try {
        history = await updateHistory(event.repo.kind, dir, this.deps.programs, { before: update.before, after: update.after }, exclude, COMMITS_PER_PAYLOAD);
        head = history.commits.find((c) => c.id === update.after) ?? (await commitDetail(event.repo.kind, dir, this.deps.programs, update.after));
      } catch (err) {
        this.deps.log.warn({ err, path: event.repo.path, ref: update.ref }, 'could not read the commits of a ref update');
      }
    }
    return pushPayload(event.repo, update, history, head, { ...context, ...(event.pushOptions ? { pushOptions: event.pushOptions } : {}) });
  }

  /** Ids of the refs that did not move (they were there before), for a new ref's commit list. */
  private async untouchedIds(event: RepoChanged, all: readonly RefUpdate[]): Promise<string[]> {
    const moved = new Set(all.map((u) => u.ref));
    try {
      const now = await readRefs(event.repo.kind, this.deps.directoryOf(event.repo), this.deps.programs);
      return [...now].filter(([ref]) => !moved.has(ref)).map(([, id]) => id);
    } catch {
      return [];
    }
  }

  private async defaultBranch(repo: Repo): Promise<string | undefined> {
    if (repo.kind === 'hg') return 'branch/default';
    try {
      return /^ref: refs\/heads\/(.+)$/m.exec(await readFile(join(this.deps.directoryOf(repo), 'HEAD'), 'utf8'))?.[1];
    } catch {
      return undefined;
    }
  }

  private queued(): void {
    for (const l of this.queuedListeners) l();
  }
}

/** `push,create` (or a list) into known events. @throws InvalidInputError naming the known ones. */
export function parseEvents(input: readonly string[]): WebhookEvent[] {
  const events = input.flatMap((e) => e.split(',')).map((e) => e.trim().toLowerCase()).filter(Boolean);
  const unknown = events.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
  if (unknown.length > 0 || events.length === 0) {
    throw new InvalidInputError(`unknown webhook event${unknown.length === 1 ? '' : 's'} ${unknown.join(', ') || '(none given)'}; choose from ${WEBHOOK_EVENTS.join(', ')}`);
  }
  return [...new Set(events)] as WebhookEvent[];
}

/** The longest hook secret taken (Gitea's form allows 255 too). */
export const MAX_HOOK_SECRET_LENGTH = 255;

/** @throws InvalidInputError FERRY_INVALID_INPUT for a secret over MAX_HOOK_SECRET_LENGTH. */
function checkSecretLength(secret: string | undefined): void {
  if (secret !== undefined && secret.length > MAX_HOOK_SECRET_LENGTH) throw new InvalidInputError(`a webhook secret is at most ${MAX_HOOK_SECRET_LENGTH} characters (this one has ${secret.length})`);
}
