import { changes, inTransaction, nowIso, row, rows, sql, type Db } from '../../db/database.js';
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
    nextAttemptAt: Number(row.next_attempt_at),
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

const HOOK_COLUMNS = sql.raw('id, repo_id, url, secret, events, active, failures, disabled_at, created_at, updated_at');
const DELIVERY_COLUMNS = sql.raw(
  'id, hook_id, guid, event, payload, state, attempts, next_attempt_at, redelivery_of, request_headers, response_status, response_headers, response_body, error, duration_ms, created_at, delivered_at',
);

export class SqlWebhookStore implements WebhookStore {
  constructor(private readonly db: Db) {}

  async create(repoId: number, hook: { url: string; sealedSecret: string; events: readonly WebhookEvent[]; active: boolean }): Promise<Webhook> {
    const r = await row(
      await this.db.q(),
      sql<HookRow>`INSERT INTO webhooks (repo_id, url, secret, events, active) VALUES (${repoId}, ${hook.url}, ${hook.sealedSecret}, ${hook.events.join(',')}, ${hook.active ? 1 : 0})
        RETURNING ${HOOK_COLUMNS}`,
    );
    return hookFromRow(r as HookRow);
  }

  async byId(id: number): Promise<Webhook | undefined> {
    const r = await row(await this.db.q(), sql<HookRow>`SELECT ${HOOK_COLUMNS} FROM webhooks WHERE id = ${id}`);
    return r && hookFromRow(r);
  }

  async listForRepo(repoId: number): Promise<Webhook[]> {
    return (await rows(await this.db.q(), sql<HookRow>`SELECT ${HOOK_COLUMNS} FROM webhooks WHERE repo_id = ${repoId} ORDER BY id`)).map(hookFromRow);
  }

  async update(id: number, c: { url?: string; sealedSecret?: string; events?: readonly WebhookEvent[]; active?: boolean }): Promise<Webhook> {
    const sets = [sql`failures = 0`, sql`disabled_at = NULL`, sql`updated_at = ${nowIso()}`];
    if (c.url !== undefined) sets.push(sql`url = ${c.url}`);
    if (c.sealedSecret !== undefined) sets.push(sql`secret = ${c.sealedSecret}`);
    if (c.events !== undefined) sets.push(sql`events = ${c.events.join(',')}`);
    if (c.active !== undefined) sets.push(sql`active = ${c.active ? 1 : 0}`);
    const r = await row(await this.db.q(), sql<HookRow>`UPDATE webhooks SET ${sql.join(sets)} WHERE id = ${id} RETURNING ${HOOK_COLUMNS}`);
    if (!r) throw new NotFoundError(`no webhook ${id}`, 'FERRY_HOOK_NOT_FOUND', { id });
    return hookFromRow(r);
  }

  async remove(id: number): Promise<boolean> {
    return (await changes(await this.db.q(), sql`DELETE FROM webhooks WHERE id = ${id}`)) > 0;
  }

  async enqueue(hookId: number, d: { guid: string; event: string; payload: string; nextAttemptAt: number; redeliveryOf?: number }): Promise<WebhookDelivery> {
    const r = await row(
      await this.db.q(),
      sql<DeliveryRow>`INSERT INTO webhook_deliveries (hook_id, guid, event, payload, state, next_attempt_at, redelivery_of)
        VALUES (${hookId}, ${d.guid}, ${d.event}, ${d.payload}, 'pending', ${d.nextAttemptAt}, ${d.redeliveryOf ?? null}) RETURNING ${DELIVERY_COLUMNS}`,
    );
    return deliveryFromRow(r as DeliveryRow);
  }

  async delivery(id: number): Promise<WebhookDelivery | undefined> {
    const r = await row(await this.db.q(), sql<DeliveryRow>`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ${id}`);
    return r && deliveryFromRow(r);
  }

  async deliveries(hookId: number, options: { limit: number; offset: number }): Promise<WebhookDelivery[]> {
    return (
      await rows(await this.db.q(), sql<DeliveryRow>`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE hook_id = ${hookId} ORDER BY id DESC LIMIT ${options.limit} OFFSET ${options.offset}`)
    ).map(deliveryFromRow);
  }

  async due(now: number, limit: number): Promise<WebhookDelivery[]> {
    return (
      await rows(await this.db.q(), sql<DeliveryRow>`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ${now} ORDER BY next_attempt_at, id LIMIT ${limit}`)
    ).map(deliveryFromRow);
  }

  async nextDue(): Promise<number | undefined> {
    const r = await row(await this.db.q(), sql<{ at: number | null }>`SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE state = 'pending'`);
    return r?.at === null || r?.at === undefined ? undefined : Number(r.at);
  }

  async recordAttempt(id: number, a: DeliveryAttempt, outcome: { state: 'delivered' } | { state: 'retry'; nextAttemptAt: number } | { state: 'failed' }, disableAfter: number): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      const state: DeliveryState = outcome.state === 'retry' ? 'pending' : outcome.state;
      const next = outcome.state === 'retry' ? outcome.nextAttemptAt : 0;
      const now = nowIso();
      const updated = await row(
        trx,
        sql<{ hook_id: number }>`UPDATE webhook_deliveries SET state = ${state}, attempts = attempts + 1, next_attempt_at = ${next}, request_headers = ${JSON.stringify(a.requestHeaders)},
          response_status = ${a.responseStatus}, response_headers = ${a.responseHeaders && JSON.stringify(a.responseHeaders)}, response_body = ${a.responseBody},
          error = ${a.error}, duration_ms = ${a.durationMs}, delivered_at = ${now} WHERE id = ${id} RETURNING hook_id`,
      );
      if (updated === undefined) return;
      const hookId = updated.hook_id;
      if (outcome.state === 'delivered') {
        await sql`UPDATE webhooks SET failures = 0, disabled_at = NULL WHERE id = ${hookId}`.execute(trx);
        return;
      }
      const hook = await row(
        trx,
        sql<{ disabled_at: string | null }>`UPDATE webhooks SET failures = failures + 1,
          disabled_at = CASE WHEN disabled_at IS NULL AND failures + 1 >= ${disableAfter} THEN ${now} ELSE disabled_at END WHERE id = ${hookId} RETURNING disabled_at`,
      );
      // A disabled hook sends nothing more: what is still queued for it ends here, with the reason.
      if (hook !== undefined && hook.disabled_at !== null) {
        await sql`UPDATE webhook_deliveries SET state = 'failed', error = COALESCE(error || '; ', '') || 'hook disabled after too many consecutive failures'
          WHERE hook_id = ${hookId} AND state = 'pending'`.execute(trx);
      }
    });
  }
}
