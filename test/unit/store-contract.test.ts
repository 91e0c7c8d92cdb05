import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { PublicationStore } from '../../src/cdn/publications.js';
import { CdnRepoLookup } from '../../src/cdn/repo-lookup.js';
import { parsePublicKeyLine } from '../../src/domain/public-key.js';
import { parseRepoPath } from '../../src/domain/repo-path.js';
import { parseUserName } from '../../src/domain/user-name.js';
import { openStores } from '../../src/store/sql/index.js';
import { ENGINES } from '../support/engines.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** An OpenSSH public key line for a fresh ed25519 key. */
function keyLine(comment: string): string {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const raw = der.subarray(der.length - 32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} ${comment}`;
}

for (const engine of ENGINES) {
  describe(`store contract (${engine.name})`, () => {
    it('users: increasing ids, ISO timestamps, names unique without regard to case (FERRY_USER_EXISTS), passwords, admin', async () => {
      const stores = await engine.openStores();
      const a = await stores.users.create(parseUserName('alice'), { admin: true });
      const b = await stores.users.create(parseUserName('bob'), { admin: false });
      assert.ok(b.id > a.id);
      assert.match(a.createdAt, ISO);
      await assert.rejects(stores.users.create(parseUserName('ALICE'), { admin: false }), (e: { code?: string }) => e.code === 'FERRY_USER_EXISTS');
      assert.equal((await stores.users.byName('Alice'))?.id, a.id);
      assert.equal(await stores.users.count(), 2);
      await stores.users.setPasswordHash(b.id, 'h');
      assert.equal(await stores.users.passwordHash(b.id), 'h');
      await stores.users.setAdmin(parseUserName('bob'), true);
      assert.equal((await stores.users.byId(b.id))?.isAdmin, true);
      await stores.users.remove(parseUserName('bob'));
      await assert.rejects(stores.users.remove(parseUserName('bob')), (e: { code?: string }) => e.code === 'FERRY_USER_NOT_FOUND');
      assert.deepEqual((await stores.users.list()).map((u) => u.name), ['alice']);
      stores.close();
    });

    it('keys: found by blob, a second registration is FERRY_KEY_IN_USE-like conflict, touch sets an ISO time; tokens and sessions', async () => {
      const stores = await engine.openStores();
      const u = await stores.users.create(parseUserName('carol'), { admin: false });
      const key = parsePublicKeyLine(keyLine('carol@laptop'));
      const added = await stores.keys.addUserKey(u.id, key);
      assert.ok(Buffer.isBuffer(added.blob) && added.blob.equals(key.blob));
      assert.equal((await stores.keys.byBlob(key.blob))?.owner.kind, 'user');
      const conflict = await stores.keys.addUserKey(u.id, key).then(() => undefined, (e: { code?: string }) => e.code);
      assert.ok(conflict !== undefined && conflict.startsWith('FERRY_'), `a conflict code (${conflict})`);
      await stores.keys.touch(added.id);
      assert.match((await stores.keys.listForUser(u.id))[0]?.lastUsedAt ?? '', ISO);

      const t = await stores.tokens.create(u.id, 'hash1', { readOnly: true, label: 'ci', expiresAt: new Date('2030-01-02T03:04:05.678Z') });
      assert.deepEqual({ ro: t.readOnly, exp: t.expiresAt }, { ro: true, exp: '2030-01-02T03:04:05.678Z' });
      assert.equal((await stores.tokens.byHash('hash1'))?.id, t.id);
      await stores.tokens.remove(u.id, t.id);
      await assert.rejects(stores.tokens.remove(u.id, t.id), (e: { code?: string }) => e.code === 'FERRY_TOKEN_NOT_FOUND');

      const now = new Date();
      await stores.sessions.create('s1', u.id, 'csrf', new Date(now.getTime() + 60_000));
      await stores.sessions.create('s2', u.id, 'csrf2', new Date(now.getTime() - 1));
      assert.equal((await stores.sessions.byHash('s1', now))?.csrf, 'csrf');
      assert.equal(await stores.sessions.byHash('s2', now), undefined, 'expired');
      await stores.sessions.removeForUser(u.id, 's1');
      assert.ok(await stores.sessions.byHash('s1', now));
      stores.close();
    });

    it('mirrors, hg phases, statuses, descriptions, webhooks and deliveries keep numbers as numbers', async () => {
      const stores = await engine.openStores();
      const repo = await stores.repos.create(parseRepoPath('team/app'), 'git', { isPublic: false });
      const next = Date.now() + 3_600_000;
      await stores.mirrors.create(repo.id, { url: 'https://example.com/x.git', intervalMs: 60_000, allowForce: false, sealedCredentials: null, sealedWebhookSecret: 's', nextRunAt: next });
      assert.deepEqual((await stores.mirrors.due(next)).map((m) => [m.repo.path, m.nextRunAt, m.intervalMs]), [['team/app', next, 60_000]]);
      await stores.mirrors.recordFailure(repo.id, new Date().toISOString(), 'boom', next + 1);
      assert.equal((await stores.mirrors.byRepoId(repo.id))?.failures, 1);

      assert.equal(await stores.hgPhases.publishing(repo.id), true);
      await stores.hgPhases.setPublishing(repo.id, false);
      assert.deepEqual(await stores.hgPhases.nonPublishing(), [repo.id]);

      const st = await stores.commitStatuses.set(repo.id, 'a'.repeat(40), { context: 'ci', state: 'pending', description: '', targetUrl: '', creatorId: null });
      const st2 = await stores.commitStatuses.set(repo.id, 'a'.repeat(40), { context: 'ci', state: 'success', description: 'ok', targetUrl: '', creatorId: null });
      assert.equal(st2.id, st.id);
      assert.equal((await stores.commitStatuses.forCommit(repo.id, 'a'.repeat(40)))[0]?.state, 'success');
      await stores.repoDescriptions.set(repo.id, 'hello');
      assert.deepEqual([...(await stores.repoDescriptions.many([repo.id]))], [[repo.id, 'hello']]);

      const hook = await stores.webhooks.create(repo.id, { url: 'https://example.com/h', sealedSecret: '', events: ['push'], active: true });
      const d = await stores.webhooks.enqueue(hook.id, { guid: 'g', event: 'push', payload: '{}', nextAttemptAt: 1000 });
      assert.equal(await stores.webhooks.nextDue(), 1000);
      assert.deepEqual((await stores.webhooks.due(2000, 10)).map((x) => x.id), [d.id]);
      const attempt = { requestHeaders: { a: 'b' }, responseStatus: 500, responseHeaders: null, responseBody: 'no', error: null, durationMs: 5 };
      await stores.webhooks.recordAttempt(d.id, attempt, { state: 'retry', nextAttemptAt: 5000 }, 2);
      assert.equal((await stores.webhooks.delivery(d.id))?.nextAttemptAt, 5000);
      await stores.webhooks.recordAttempt(d.id, attempt, { state: 'retry', nextAttemptAt: 6000 }, 2);
      assert.match((await stores.webhooks.byId(hook.id))?.disabledAt ?? '', ISO, 'disabled after two failures');
      assert.equal((await stores.webhooks.delivery(d.id))?.state, 'failed');
      const updated = await stores.webhooks.update(hook.id, { events: ['push', 'create'] });
      assert.deepEqual([updated.events, updated.disabledAt, updated.failures], [['push', 'create'], null, 0]);
      stores.close();
    });

    it('publications and the CDN repo lookup (cached by path, cleared on repo events) go through the same database', async () => {
      const db = await engine.openDb();
      const stores = openStores(db);
      const repo = await stores.repos.create(parseRepoPath('web/site'), 'git', { isPublic: true });
      const pubs = new PublicationStore(db);
      const p = await pubs.register(repo.id, undefined, '/srv/site');
      await pubs.markPublished(p.id, 'c1');
      assert.equal((await pubs.register(repo.id, undefined, '/srv/site')).commit, 'c1', 'same repo and ref keep the commit');
      assert.equal((await pubs.register(repo.id, 'v2', '/srv/site')).commit, undefined, 'another ref forgets it');
      assert.deepEqual((await pubs.forRepo(repo.id)).map((x) => x.dir), ['/srv/site']);
      let now = 0;
      const lookup = new CdnRepoLookup(db, () => now);
      assert.equal((await lookup.byPath(parseRepoPath('WEB/Site')))?.id, repo.id);
      await stores.repos.setPublic(parseRepoPath('web/site'), false);
      assert.equal((await lookup.byPath(parseRepoPath('WEB/Site')))?.isPublic, true, 'cached within the TTL');
      lookup.clear();
      assert.equal((await lookup.byPath(parseRepoPath('WEB/Site')))?.isPublic, false, 'cleared');
      now += 2_000;
      await stores.repos.remove(parseRepoPath('web/site'));
      assert.equal(await lookup.byPath(parseRepoPath('WEB/Site')), undefined, 'expired after the TTL');
      stores.close();
    });
  });
}
