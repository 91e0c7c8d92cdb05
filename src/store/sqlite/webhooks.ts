import type { SqliteDatabase } from '../../db/sqlite.js';
import { NotFoundError } from '../../domain/errors.js';
import type { DeliveryAttempt, DeliveryState, Webhook, WebhookDelivery, WebhookEvent, WebhookStore } from '../types.js';

interface HookRow {
  id: number;
  repo_id: number;
  url: string;
  secret: string;
  events: string;
  active: number;
  failures: number;
  disabled_at: string | null;
  created_at: string;
  updated_at: string;
}

interface DeliveryRow {
  id: number;
  hook_id: number;
  guid: string;
  event: string;
  payload: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: number;
  redelivery_of: number | null;
  request_headers: string | null;
  response_status: number | null;
  response_headers: string | null;
  response_body: string | null;
  error: string | null;
  duration_ms: number | null;
  created_at: string;
  delivered_at: string | null;
}

function hookFromRow(row: HookRow): Webhook {
  return {
    id: row.id,
    repoId: row.repo_id,
    url: row.url,
    sealedSecret: row.secret,
    events: row.events.split(',').filter(Boolean) as WebhookEvent[],
    active: row.active === 1,
    failures: row.failures,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function headersFrom(json: string | null): Record<string, string> | null {
  return json === null ? null : (JSON.parse(json) as Record<string, string>);
}

function deliveryFromRow(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    hookId: row.hook_id,
    guid: row.guid,
    event: row.event,
    payload: row.payload,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    redeliveryOf: row.redelivery_of,
    requestHeaders: headersFrom(row.request_headers),
    responseStatus: row.response_status,
    responseHeaders: headersFrom(row.response_headers),
    responseBody: row.response_body,
    error: row.error,
    durationMs: row.duration_ms,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

export class SqliteWebhookStore implements WebhookStore {
  constructor(private readonly db: SqliteDatabase) {}

  async create(repoId: number, hook: { url: string; sealedSecret: string; events: readonly WebhookEvent[]; active: boolean }): Promise<Webhook> {
    const info = this.db
      .prepare('INSERT INTO webhooks (repo_id, url, secret, events, active) VALUES (?, ?, ?, ?, ?)')
      .run(repoId, hook.url, hook.sealedSecret, hook.events.join(','), hook.active ? 1 : 0);
    return this.must(Number(info.lastInsertRowid));
  }

  async byId(id: number): Promise<Webhook | undefined> {
    const row = this.db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as HookRow | undefined;
    return row && hookFromRow(row);
  }

  async listForRepo(repoId: number): Promise<Webhook[]> {
    return (this.db.prepare('SELECT * FROM webhooks WHERE repo_id = ? ORDER BY id').all(repoId) as HookRow[]).map(hookFromRow);
  }

  async update(id: number, changes: { url?: string; sealedSecret?: string; events?: readonly WebhookEvent[]; active?: boolean }): Promise<Webhook> {
    const sets: string[] = ['failures = 0', 'disabled_at = NULL', `updated_at = ${NOW}`];
    const values: (string | number)[] = [];
    if (changes.url !== undefined) (sets.push('url = ?'), values.push(changes.url));
    if (changes.sealedSecret !== undefined) (sets.push('secret = ?'), values.push(changes.sealedSecret));
    if (changes.events !== undefined) (sets.push('events = ?'), values.push(changes.events.join(',')));
    if (changes.active !== undefined) (sets.push('active = ?'), values.push(changes.active ? 1 : 0));
    const info = this.db.prepare(`UPDATE webhooks SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
    if (info.changes === 0) throw new NotFoundError(`no webhook ${id}`, 'FERRY_HOOK_NOT_FOUND', { id });
    return this.must(id);
  }

  async remove(id: number): Promise<boolean> {
    return this.db.prepare('DELETE FROM webhooks WHERE id = ?').run(id).changes > 0;
  }

  async enqueue(hookId: number, d: { guid: string; event: string; payload: string; nextAttemptAt: number; redeliveryOf?: number }): Promise<WebhookDelivery> {
    const info = this.db
      .prepare("INSERT INTO webhook_deliveries (hook_id, guid, event, payload, state, next_attempt_at, redelivery_of) VALUES (?, ?, ?, ?, 'pending', ?, ?)")
      .run(hookId, d.guid, d.event, d.payload, d.nextAttemptAt, d.redeliveryOf ?? null);
    return (await this.delivery(Number(info.lastInsertRowid))) as WebhookDelivery;
  }

  async delivery(id: number): Promise<WebhookDelivery | undefined> {
    const row = this.db.prepare('SELECT * FROM webhook_deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
    return row && deliveryFromRow(row);
  }

  async deliveries(hookId: number, options: { limit: number; offset: number }): Promise<WebhookDelivery[]> {
    return (this.db.prepare('SELECT * FROM webhook_deliveries WHERE hook_id = ? ORDER BY id DESC LIMIT ? OFFSET ?').all(hookId, options.limit, options.offset) as DeliveryRow[]).map(deliveryFromRow);
  }

  async due(now: number, limit: number): Promise<WebhookDelivery[]> {
    return (this.db.prepare("SELECT * FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?").all(now, limit) as DeliveryRow[]).map(deliveryFromRow);
  }

  async nextDue(): Promise<number | undefined> {
    const row = this.db.prepare("SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE state = 'pending'").get() as { at: number | null };
    return row.at ?? undefined;
  }

  async recordAttempt(id: number, a: DeliveryAttempt, outcome: { state: 'delivered' } | { state: 'retry'; nextAttemptAt: number } | { state: 'failed' }, disableAfter: number): Promise<void> {
    const record = this.db.transaction(() => {
      const state: DeliveryState = outcome.state === 'retry' ? 'pending' : outcome.state;
      const next = outcome.state === 'retry' ? outcome.nextAttemptAt : 0;
      this.db
        .prepare(
          `UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?, request_headers = ?, response_status = ?,
           response_headers = ?, response_body = ?, error = ?, duration_ms = ?, delivered_at = ${NOW} WHERE id = ?`,
        )
        .run(state, next, JSON.stringify(a.requestHeaders), a.responseStatus, a.responseHeaders && JSON.stringify(a.responseHeaders), a.responseBody, a.error, a.durationMs, id);
      const hookId = (this.db.prepare('SELECT hook_id FROM webhook_deliveries WHERE id = ?').get(id) as { hook_id: number } | undefined)?.hook_id;
      if (hookId === undefined) return;
      if (outcome.state === 'delivered') {
        this.db.prepare('UPDATE webhooks SET failures = 0, disabled_at = NULL WHERE id = ?').run(hookId);
        return;
      }
      this.db.prepare(`UPDATE webhooks SET failures = failures + 1, disabled_at = CASE WHEN disabled_at IS NULL AND failures + 1 >= ? THEN ${NOW} ELSE disabled_at END WHERE id = ?`).run(disableAfter, hookId);
      const disabled = (this.db.prepare('SELECT disabled_at FROM webhooks WHERE id = ?').get(hookId) as { disabled_at: string | null }).disabled_at !== null;
      // A disabled hook sends nothing more: what is still queued for it ends here, with the reason.
      if (disabled) {
        this.db
          .prepare("UPDATE webhook_deliveries SET state = 'failed', error = COALESCE(error || '; ', '') || 'hook disabled after too many consecutive failures' WHERE hook_id = ? AND state = 'pending'")
          .run(hookId);
      }
    });
    record.immediate();
  }

  private async must(id: number): Promise<Webhook> {
    const hook = await this.byId(id);
    if (!hook) throw new NotFoundError(`no webhook ${id}`, 'FERRY_HOOK_NOT_FOUND', { id });
    return hook;
  }
}
