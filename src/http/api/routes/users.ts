import { createRoute, z } from '@hono/zod-openapi';
import { NotFoundError } from '../../../domain/errors.js';
import { formatPublicKey, parsePublicKeyLine, publicKeyFromBlob } from '../../../domain/public-key.js';
import type { SshKey } from '../../../store/types.js';
import { requireUser, requireWriter } from '../auth.js';
import type { ApiModule } from '../env.js';
import { PageQuery, paginate } from '../paginate.js';
import { baseOf, userJson } from '../present.js';
import { errorResponses, jsonOf, oneLineText, pathId, PublicKeySchema, UserSchema } from '../schemas.js';

const KeyList = z.array(PublicKeySchema);
const CreateKeyOption = z
  .object({
    key: z.string().min(1).max(16_384).openapi({ description: 'an OpenSSH public key line (ssh-ed25519 AAAA… comment)' }),
    title: oneLineText(255).optional().openapi({ description: "the key's comment when the line has none" }),
    read_only: z.boolean().optional().openapi({ description: 'ignored: a user key has its user\'s rights' }),
  })
  .openapi('CreateKeyOption');
const KeyIdParams = z.object({ id: pathId('id') });
const UserParams = z.object({ username: z.string().min(1).max(64).openapi({ param: { name: 'username', in: 'path' }, example: 'alice' }) });

const getMe = createRoute({ method: 'get', path: '/user', tags: ['user'], summary: 'The signed-in user', responses: { 200: jsonOf(UserSchema, 'the user'), ...errorResponses } });
const getUser = createRoute({ method: 'get', path: '/users/{username}', tags: ['user'], summary: 'A user', request: { params: UserParams }, responses: { 200: jsonOf(UserSchema, 'the user'), ...errorResponses } });
const listMyKeys = createRoute({ method: 'get', path: '/user/keys', tags: ['user'], summary: "The signed-in user's SSH keys", request: { query: PageQuery }, responses: { 200: jsonOf(KeyList, 'a page of keys'), ...errorResponses } });
const getMyKey = createRoute({ method: 'get', path: '/user/keys/{id}', tags: ['user'], summary: 'One of your SSH keys', request: { params: KeyIdParams }, responses: { 200: jsonOf(PublicKeySchema, 'the key'), ...errorResponses } });
const addMyKey = createRoute({
  method: 'post',
  path: '/user/keys',
  tags: ['user'],
  summary: 'Add an SSH key to the signed-in user',
  request: { body: { content: { 'application/json': { schema: CreateKeyOption } }, required: true } },
  responses: { 201: jsonOf(PublicKeySchema, 'the key added'), ...errorResponses },
});
const removeMyKey = createRoute({ method: 'delete', path: '/user/keys/{id}', tags: ['user'], summary: 'Remove one of your SSH keys', request: { params: KeyIdParams }, responses: { 204: { description: 'removed' }, ...errorResponses } });
const listUserKeys = createRoute({ method: 'get', path: '/users/{username}/keys', tags: ['user'], summary: "A user's public SSH keys (public, as /USER.keys)", request: { params: UserParams, query: PageQuery }, responses: { 200: jsonOf(KeyList, 'a page of keys'), ...errorResponses } });

/** A key as Gitea's PublicKey. */
export function keyJson(base: string, key: SshKey): z.infer<typeof PublicKeySchema> {
  return {
    id: key.id,
    key: formatPublicKey(publicKeyFromBlob(key.type, key.blob)),
    url: `${base}/api/v1/user/keys/${key.id}`,
    title: key.comment,
    fingerprint: key.fingerprint,
    key_type: key.type,
    created_at: key.createdAt,
    read_only: false,
    last_used_at: key.lastUsedAt,
  };
}

/** The signed-in user, users, and SSH keys (`/user`, `/users/{u}`, `/user/keys`, `/users/{u}/keys`). */
export const usersApi: ApiModule = (api, app) => {
  api.openapi(getMe, (c) => c.json(userJson(baseOf(app, c), requireUser(c.var.subject).user), 200));

  api.openapi(getUser, async (c) => {
    const user = await app.stores.users.byName(c.req.valid('param').username);
    if (!user) throw new NotFoundError(`no user ${c.req.valid('param').username}`, 'FERRY_USER_NOT_FOUND');
    return c.json(userJson(baseOf(app, c), user), 200);
  });

  api.openapi(listMyKeys, async (c) => {
    const me = requireUser(c.var.subject);
    const keys = await app.stores.keys.listForUser(me.user.id);
    return c.json(paginate(c, keys, c.req.valid('query')).map((k) => keyJson(baseOf(app, c), k)), 200);
  });

  api.openapi(getMyKey, async (c) => {
    const me = requireUser(c.var.subject);
    const key = (await app.stores.keys.listForUser(me.user.id)).find((k) => k.id === c.req.valid('param').id);
    if (!key) throw new NotFoundError(`you have no key with id ${c.req.valid('param').id}`, 'FERRY_KEY_NOT_FOUND');
    return c.json(keyJson(baseOf(app, c), key), 200);
  });

  api.openapi(addMyKey, async (c) => {
    const me = requireWriter(c.var.subject);
    const body = c.req.valid('json');
    const parsed = parsePublicKeyLine(body.key.trim());
    const key = await app.stores.keys.addUserKey(me.user.id, parsed.comment === '' && body.title ? { ...parsed, comment: body.title } : parsed);
    return c.json(keyJson(baseOf(app, c), key), 201);
  });

  api.openapi(removeMyKey, async (c) => {
    const me = requireWriter(c.var.subject);
    const key = (await app.stores.keys.listForUser(me.user.id)).find((k) => k.id === c.req.valid('param').id);
    if (!key) throw new NotFoundError(`you have no key with id ${c.req.valid('param').id}`, 'FERRY_KEY_NOT_FOUND');
    await app.stores.keys.removeUserKey(me.user.id, key.fingerprint);
    return c.body(null, 204);
  });

  api.openapi(listUserKeys, async (c) => {
    const user = await app.stores.users.byName(c.req.valid('param').username);
    if (!user) throw new NotFoundError(`no user ${c.req.valid('param').username}`, 'FERRY_USER_NOT_FOUND');
    const keys = await app.stores.keys.listForUser(user.id);
    return c.json(paginate(c, keys, c.req.valid('query')).map((k) => ({ ...keyJson(baseOf(app, c), k), url: `${baseOf(app, c)}/api/v1/users/${user.name}/keys` })), 200);
  });
};
