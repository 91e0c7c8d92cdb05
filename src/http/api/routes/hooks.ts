import { createRoute, z } from '@hono/zod-openapi';
import type { Webhook, WebhookDelivery } from '../../../store/types.js';
import { requireWriter } from '../auth.js';
import type { ApiModule } from '../env.js';
import { PageQuery, setPageHeaders } from '../paginate.js';
import { repoFor } from '../repo-access.js';
import { errorResponses, jsonOf, pathId, RepoParams } from '../schemas.js';

const EventList = z.array(z.enum(['push', 'create', 'delete', 'repository'])).min(1);

/** Gitea's Hook, with Ferry's `disabled_at` and `failures` (a hook disabled after failures). */
const HookSchema = z
  .object({
    id: z.number().int(),
    type: z.literal('gitea'),
    branch_filter: z.string(),
    config: z.object({ url: z.string(), content_type: z.literal('json') }),
    events: z.array(z.string()),
    authorization_header: z.string(),
    active: z.boolean(),
    disabled_at: z.string().nullable().openapi({ description: 'Ferry: set when too many deliveries failed in a row; a redelivery or an edit clears it' }),
    failures: z.number().int().openapi({ description: 'Ferry: consecutive failed delivery attempts' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Hook');

const HookConfig = z.object({
  url: z.string().min(1).max(2048).openapi({ example: 'https://ci.example.com/hook' }),
  content_type: z.literal('json').default('json'),
  secret: z.string().max(255).optional().openapi({ description: 'signs deliveries (X-Hub-Signature-256, X-Gitea-Signature)' }),
});

const CreateHookOption = z
  .object({
    type: z.enum(['gitea', 'gogs', 'forgejo']).default('gitea'),
    config: HookConfig,
    events: EventList.default(['push', 'create', 'delete']),
    active: z.boolean().default(true),
  })
  .openapi('CreateHookOption');

const EditHookOption = z
  .object({
    config: HookConfig.partial().optional(),
    events: EventList.optional(),
    active: z.boolean().optional(),
  })
  .openapi('EditHookOption');

/** A delivery as GitHub's API lists them, with the request and response Ferry kept. */
const DeliverySchema = z
  .object({
    id: z.number().int(),
    guid: z.string(),
    event: z.string(),
    status: z.string().openapi({ description: 'pending, delivered or failed' }),
    status_code: z.number().int().nullable(),
    attempts: z.number().int(),
    redelivery: z.boolean(),
    delivered_at: z.string().nullable(),
    duration_ms: z.number().int().nullable(),
    error: z.string().nullable(),
    request: z.object({ headers: z.record(z.string(), z.string()).nullable(), payload: z.string() }),
    response: z.object({ headers: z.record(z.string(), z.string()).nullable(), payload: z.string().nullable() }),
  })
  .openapi('HookDelivery');

const HookParams = RepoParams.extend({ id: pathId('id') });
const DeliveryParams = HookParams.extend({ delivery_id: pathId('delivery_id') });

const tags = ['repository'];
const listHooks = createRoute({ method: 'get', path: '/repos/{owner}/{repo}/hooks', tags, summary: "A repo's webhooks (needs admin)", request: { params: RepoParams, query: PageQuery }, responses: { 200: jsonOf(z.array(HookSchema), 'the hooks'), ...errorResponses } });
const createHook = createRoute({
  method: 'post',
  path: '/repos/{owner}/{repo}/hooks',
  tags,
  summary: 'Add a webhook (needs admin); the URL must reach a public address unless [webhooks] allowed_hosts allows',
  request: { params: RepoParams, body: { content: { 'application/json': { schema: CreateHookOption } }, required: true } },
  responses: { 201: jsonOf(HookSchema, 'the hook'), ...errorResponses },
});
const getHook = createRoute({ method: 'get', path: '/repos/{owner}/{repo}/hooks/{id}', tags, summary: 'One webhook (needs admin)', request: { params: HookParams }, responses: { 200: jsonOf(HookSchema, 'the hook'), ...errorResponses } });
const editHook = createRoute({
  method: 'patch',
  path: '/repos/{owner}/{repo}/hooks/{id}',
  tags,
  summary: 'Change a webhook (needs admin); any change enables a hook disabled after failures',
  request: { params: HookParams, body: { content: { 'application/json': { schema: EditHookOption } }, required: true } },
  responses: { 200: jsonOf(HookSchema, 'the hook'), ...errorResponses },
});
const deleteHook = createRoute({ method: 'delete', path: '/repos/{owner}/{repo}/hooks/{id}', tags, summary: 'Remove a webhook (needs admin)', request: { params: HookParams }, responses: { 204: { description: 'removed' }, ...errorResponses } });
const listDeliveries = createRoute({
  method: 'get',
  path: '/repos/{owner}/{repo}/hooks/{id}/deliveries',
  tags,
  summary: "A webhook's deliveries, newest first, with request and (truncated) response (GitHub's path; needs admin)",
  request: { params: HookParams, query: PageQuery },
  responses: { 200: jsonOf(z.array(DeliverySchema), 'a page of deliveries'), ...errorResponses },
});
const getDelivery = createRoute({ method: 'get', path: '/repos/{owner}/{repo}/hooks/{id}/deliveries/{delivery_id}', tags, summary: 'One delivery (needs admin)', request: { params: DeliveryParams }, responses: { 200: jsonOf(DeliverySchema, 'the delivery'), ...errorResponses } });
const redeliver = createRoute({
  method: 'post',
  path: '/repos/{owner}/{repo}/hooks/{id}/deliveries/{delivery_id}/attempts',
  tags,
  summary: "Send a delivery's payload again, now (GitHub's path; needs admin)",
  request: { params: DeliveryParams },
  responses: { 202: jsonOf(DeliverySchema, 'the new delivery, queued'), ...errorResponses },
});

/** Outbound webhooks (src/webhooks, docs/webhooks.md): Gitea's hook routes, GitHub's delivery routes. */
export const hooksApi: ApiModule = (api, app) => {
  const adminRepo = async (subject: Parameters<typeof requireWriter>[0], owner: string, repo: string) => (await repoFor(app, requireWriter(subject), owner, repo, 'admin')).repo;

  api.openapi(listHooks, async (c) => {
    const { owner, repo } = c.req.valid('param');
    const page = c.req.valid('query');
    const hooks = await app.webhooks.list(await adminRepo(c.var.subject, owner, repo));
    setPageHeaders(c, page, { total: hooks.length });
    return c.json(hooks.slice((page.page - 1) * page.limit, page.page * page.limit).map(hookJson), 200);
  });
  api.openapi(createHook, async (c) => {
    const { owner, repo } = c.req.valid('param');
    const body = c.req.valid('json');
    const hook = await app.webhooks.add(await adminRepo(c.var.subject, owner, repo), {
      url: body.config.url,
      ...(body.config.secret ? { secret: body.config.secret } : {}),
      events: body.events,
      active: body.active,
    });
    return c.json(hookJson(hook), 201);
  });
  api.openapi(getHook, async (c) => {
    const { owner, repo, id } = c.req.valid('param');
    return c.json(hookJson(await app.webhooks.get(await adminRepo(c.var.subject, owner, repo), id)), 200);
  });
  api.openapi(editHook, async (c) => {
    const { owner, repo, id } = c.req.valid('param');
    const body = c.req.valid('json');
    const hook = await app.webhooks.update(await adminRepo(c.var.subject, owner, repo), id, {
      ...(body.config?.url !== undefined ? { url: body.config.url } : {}),
      ...(body.config?.secret !== undefined ? { secret: body.config.secret } : {}),
      ...(body.events !== undefined ? { events: body.events } : {}),
      ...(body.active !== undefined ? { active: body.active } : {}),
    });
    return c.json(hookJson(hook), 200);
  });
  api.openapi(deleteHook, async (c) => {
    const { owner, repo, id } = c.req.valid('param');
    await app.webhooks.remove(await adminRepo(c.var.subject, owner, repo), id);
    return c.body(null, 204);
  });
  api.openapi(listDeliveries, async (c) => {
    const { owner, repo, id } = c.req.valid('param');
    const page = c.req.valid('query');
    const found = await adminRepo(c.var.subject, owner, repo);
    const rows = await app.webhooks.deliveries(found, id, { limit: page.limit + 1, offset: (page.page - 1) * page.limit });
    setPageHeaders(c, page, { hasMore: rows.length > page.limit });
    return c.json(rows.slice(0, page.limit).map(deliveryJson), 200);
  });
  api.openapi(getDelivery, async (c) => {
    const { owner, repo, id, delivery_id } = c.req.valid('param');
    const found = await adminRepo(c.var.subject, owner, repo);
    const delivery = await app.webhooks.delivery(found, delivery_id);
    if (delivery.hookId !== id) await app.webhooks.get(found, -1);
    return c.json(deliveryJson(delivery), 200);
  });
  api.openapi(redeliver, async (c) => {
    const { owner, repo, id, delivery_id } = c.req.valid('param');
    const found = await adminRepo(c.var.subject, owner, repo);
    const old = await app.webhooks.delivery(found, delivery_id);
    if (old.hookId !== id) await app.webhooks.get(found, -1);
    return c.json(deliveryJson(await app.webhooks.redeliver(found, delivery_id)), 202);
  });
};

function hookJson(h: Webhook): z.infer<typeof HookSchema> {
  return {
    id: h.id,
    type: 'gitea',
    branch_filter: '*',
    config: { url: h.url, content_type: 'json' },
    events: [...h.events],
    authorization_header: '',
    active: h.active,
    disabled_at: h.disabledAt,
    failures: h.failures,
    created_at: h.createdAt,
    updated_at: h.updatedAt,
  };
}

function deliveryJson(d: WebhookDelivery): z.infer<typeof DeliverySchema> {
  return {
    id: d.id,
    guid: d.guid,
    event: d.event,
    status: d.state,
    status_code: d.responseStatus,
    attempts: d.attempts,
    redelivery: d.redeliveryOf !== null,
    delivered_at: d.deliveredAt,
    duration_ms: d.durationMs,
    error: d.error,
    request: { headers: d.requestHeaders ? { ...d.requestHeaders } : null, payload: d.payload },
    response: { headers: d.responseHeaders ? { ...d.responseHeaders } : null, payload: d.responseBody },
  };
}
