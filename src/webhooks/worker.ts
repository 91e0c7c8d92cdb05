import type { ClusterLocks } from '../cluster/locks.js';
import type { Logger } from '../log/logger.js';
import type { WebhookDelivery, WebhookStore } from '../store/types.js';
import { sendDelivery } from './sender.js';
import { signatureHeaders } from './signature.js';
import type { TargetPolicy } from './target-policy.js';
import type { WebhookService } from './service.js';

export interface WorkerSettings {
  /** Per delivery, connect to the answer's last byte (ms). */
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** Before the first retry (ms); doubled for each next one, at most an hour. */
  readonly retryDelayMs: number;
  readonly disableAfter: number;
}

/** How often the queue is read even when nothing woke the worker (another process may have queued). */
const POLL_MS = 1000;
const CONCURRENCY = 4;
const MAX_DELAY_MS = 3_600_000;

/**
 * Sends queued deliveries (rows in the database, so what a stopped Ferry left pending is sent after
 * the next start). A network error, a timeout or a 5xx is retried with exponential back-off up to
 * `maxAttempts`; a 2xx delivers; anything else (3xx: redirects are never followed, 4xx, a refused
 * address) ends the delivery. Every failed attempt counts toward disabling the hook.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<number, Promise<void>>();
  private stopped = true;
  private ticking = false;

  constructor(
    private readonly deps: {
      store: WebhookStore;
      service: WebhookService;
      policy: TargetPolicy;
      log: Logger;
      /** Shared with the other nodes (src/cluster/locks.ts): each delivery is claimed by one node. */
      locks?: ClusterLocks;
    },
    private readonly settings: WorkerSettings,
  ) {
    deps.service.onQueued(() => this.wake());
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops taking deliveries; waits for those being sent (each is bounded by the timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight.values()]);
  }

  wake(): void {
    if (!this.stopped) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.ticking) return;
    this.ticking = true;
    try {
      const room = CONCURRENCY - this.inFlight.size;
      if (room > 0) {
        const due = (await this.deps.store.due(Date.now(), room + this.inFlight.size)).filter((d) => !this.inFlight.has(d.id)).slice(0, room);
        for (const d of due) {
          const run = this.deliver(d)
            .catch((err: unknown) => this.deps.log.error({ err, delivery: d.id }, 'webhook delivery failed unexpectedly'))
            .finally(() => {
              this.inFlight.delete(d.id);
              this.wake();
            });
          this.inFlight.set(d.id, run);
        }
      }
      const next = await this.deps.store.nextDue();
      if (!this.stopped) this.schedule(Math.max(0, Math.min(POLL_MS, next === undefined ? POLL_MS : next - Date.now())));
    } catch (err) {
      this.deps.log.error({ err }, 'webhook queue could not be read');
      if (!this.stopped) this.schedule(POLL_MS);
    } finally {
      this.ticking = false;
    }
  }

  /**
   * Claims `d` (a lock no other node holds; released if this node dies, so another takes it over)
   * and sends it if it is still due as read: a delivery another node just sent is not sent again.
   */
  private async deliver(d: WebhookDelivery): Promise<void> {
    const locks = this.deps.locks;
    if (!locks) return this.deliverNow(d);
    await locks.tryWithLock(`webhook-delivery:${d.id}`, async () => {
      const now = await this.deps.store.delivery(d.id);
      if (now && now.state === 'pending' && now.attempts === d.attempts && now.nextAttemptAt <= Date.now()) await this.deliverNow(now);
    });
  }

  private async deliverNow(d: WebhookDelivery): Promise<void> {
    const { store, service, policy, log } = this.deps;
    const hook = await store.byId(d.hookId);
    if (!hook) return;
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Ferry-Hookshot',
      'x-github-event': d.event,
      'x-gitea-event': d.event,
      'x-gitea-event-type': d.event,
      'x-github-delivery': d.guid,
      'x-gitea-delivery': d.guid,
      'x-github-hook-id': String(hook.id),
      ...signatureHeadersOf(service, hook, d.payload),
    };
    if (!hook.active || hook.disabledAt !== null) {
      const why = hook.active ? 'the hook is disabled after too many consecutive failures; edit it or redeliver to enable it' : 'the hook is inactive';
      await store.recordAttempt(d.id, { requestHeaders: headers, responseStatus: null, responseHeaders: null, responseBody: null, error: why, durationMs: 0 }, { state: 'failed' }, Number.MAX_SAFE_INTEGER);
      return;
    }
    const result = await sendDelivery(hook.url, d.payload, headers, { policy, timeoutMs: this.settings.timeoutMs });
    const attempt = d.attempts + 1;
    const outcome = result.ok
      ? ({ state: 'delivered' } as const)
      : result.retryable && attempt < this.settings.maxAttempts
        ? ({ state: 'retry', nextAttemptAt: Date.now() + Math.min(MAX_DELAY_MS, this.settings.retryDelayMs * 2 ** (attempt - 1)) } as const)
        : ({ state: 'failed' } as const);
    await store.recordAttempt(d.id, result, outcome, this.settings.disableAfter);
    log.info({ hook: hook.id, delivery: d.id, event: d.event, attempt, status: result.responseStatus, error: result.error, outcome: outcome.state }, 'webhook delivery');
  }
}

function signatureHeadersOf(service: WebhookService, hook: Parameters<WebhookService['secretOf']>[0], body: string): Record<string, string> {
  return signatureHeaders(body, service.secretOf(hook));
}
