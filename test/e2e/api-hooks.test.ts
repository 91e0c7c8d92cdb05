import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { giteaApi } from 'gitea-js';
import { addUser, expectOk, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

const SECRET = 'api-hook-secret-5d1e';

/** curl with an argument array; status and parsed body (null when empty or not JSON). */
async function curl(args: readonly string[]): Promise<{ status: number; body: string; json: unknown }> {
  const r = await runOk('curl', ['-sS', '-o', '-', '-w', '\n%{http_code}', ...args]);
  const cut = r.stdout.lastIndexOf('\n');
  const body = r.stdout.slice(0, cut);
  let json: unknown = null;
  try {
    json = JSON.parse(body);
  } catch {
    /* not JSON */
  }
  return { status: Number(r.stdout.slice(cut + 1)), body, json };
}

function tokenOf(stdout: string): string {
  const m = /(ferry_[A-Za-z0-9_-]+)/.exec(stdout);
  assert.ok(m, `a token in ${stdout}`);
  return m[1] as string;
}

interface HookJson {
  id: number;
  type: string;
  active: boolean;
  events: string[];
  config: { url: string; content_type: string };
}

interface DeliveryJson {
  id: number;
  guid: string;
  event: string;
  status: string;
  status_code: number | null;
  redelivery: boolean;
  request: { headers: Record<string, string> | null; payload: string };
}

describe('REST API webhook routes (/repos/{owner}/{repo}/hooks) with curl and gitea-js', () => {
  let server: FerryServer;
  let alice: Client;
  let api: string;
  let aliceToken: string;
  let bobToken: string;
  let carolToken: string;
  let receiver: Receiver;
  let gitHook: HookJson;
  let gitWork = '';

  const as = (token: string, method: string, path: string, body?: unknown) =>
    curl(['-X', method, '-H', `Authorization: token ${token}`, ...(body === undefined ? [] : ['-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body)]), `${api}${path}`]);
  const pushUrl = (path: string) => `http://alice:${aliceToken}@127.0.0.1:${server.httpPort}/${path}`;
  const ofRepo = (path: string) => (r: { json: Record<string, unknown> }) => (r.json.repository as { full_name?: string } | undefined)?.full_name === path;

  async function gitCommitPush(path: string, file: string, text: string): Promise<string> {
    writeFileSync(join(gitWork, file), text);
    await expectOk(alice.git(['-C', gitWork, 'add', '-A']));
    await expectOk(alice.git(['-C', gitWork, '-c', 'user.name=Alice', '-c', 'user.email=alice@example.com', 'commit', '-q', '-m', `change ${file}`]));
    await expectOk(alice.git(['-C', gitWork, 'push', '-q', pushUrl(path), 'main']));
    return (await expectOk(alice.git(['-C', gitWork, 'rev-parse', 'HEAD']))).stdout.trim();
  }

  before(async () => {
    server = await startFerry({ toml: '[webhooks]\nallowed_hosts = "loopback"\nretry_delay = "300ms"\nmax_attempts = 2\n' });
    api = `${server.baseUrl}/api/v1`;
    alice = await addUser(server, 'alice');
    await server.cliOk(['user', 'add', 'bob']);
    await server.cliOk(['user', 'add', 'carol']);
    aliceToken = tokenOf((await server.cliOk(['token', 'add', 'alice'])).stdout);
    bobToken = tokenOf((await server.cliOk(['token', 'add', 'bob'])).stdout);
    carolToken = tokenOf((await server.cliOk(['token', 'add', 'carol'])).stdout);
    await server.cliOk(['repo', 'create', 'team/ci-git', '--git']);
    await server.cliOk(['repo', 'create', 'team/ci-hg']);
    await server.cliOk(['grant', 'alice', 'team/', 'admin']);
    await server.cliOk(['grant', 'bob', 'team/ci-git', 'write']);
    receiver = await startReceiver(SECRET);
    gitWork = join(tempDir('ferry-api-hooks-'), 'w');
    await expectOk(alice.git(['init', '-q', '-b', 'main', gitWork]));
  });
  after(async () => {
    await receiver.close();
    await server.stop();
  });

  it('POST /hooks creates a hook (201, Gitea shape, secret never echoed); a git push over HTTP delivers a signed push event', async () => {
    const created = await as(aliceToken, 'POST', '/repos/team/ci-git/hooks', { type: 'gitea', config: { url: receiver.url, content_type: 'json', secret: SECRET }, events: ['push', 'create'], active: true });
    assert.equal(created.status, 201, created.body);
    gitHook = created.json as HookJson;
    assert.equal(gitHook.type, 'gitea');
    assert.equal(gitHook.active, true);
    assert.equal(gitHook.config.url, receiver.url);
    assert.equal(gitHook.config.content_type, 'json');
    assert.deepEqual(gitHook.events, ['push', 'create']);
    assert.ok(!created.body.includes(SECRET), 'the secret is not in the answer');

    const head = await gitCommitPush('team/ci-git', 'a.txt', 'one\n');
    const [push] = await receiver.waitFor((r) => ofRepo('team/ci-git')(r) && r.headers['x-github-event'] === 'push');
    assert.ok(push);
    assert.equal(push.signatureValid, true, 'X-Hub-Signature-256 verifies with @octokit/webhooks-methods');
    assert.equal(push.headers['x-gitea-signature'], createHmac('sha256', SECRET).update(push.body).digest('hex'));
    assert.equal(push.json.after, head);
    assert.deepEqual((push.json.commits as { id: string }[]).map((c) => c.id), [head]);
    await receiver.waitFor((r) => ofRepo('team/ci-git')(r) && r.headers['x-github-event'] === 'create');
  });

  it('GET /hooks lists and GET /hooks/{id} reads the hook (also through gitea-js); the secret is never shown', async () => {
    const list = await as(aliceToken, 'GET', '/repos/team/ci-git/hooks');
    assert.equal(list.status, 200, list.body);
    assert.deepEqual((list.json as HookJson[]).map((h) => h.id), [gitHook.id]);
    assert.ok(!list.body.includes(SECRET));
    const one = await as(aliceToken, 'GET', `/repos/team/ci-git/hooks/${gitHook.id}`);
    assert.equal(one.status, 200, one.body);
    assert.deepEqual(one.json, list.json && (list.json as HookJson[])[0]);
    const client = giteaApi(server.baseUrl, { token: aliceToken, customFetch: fetch });
    const hooks = (await client.repos.repoListHooks('team', 'ci-git')).data;
    assert.deepEqual(hooks.map((h) => [h.id, h.config?.url, h.active]), [[gitHook.id, receiver.url, true]]);
  });

  it('GET …/deliveries lists what was sent; POST …/deliveries/{id}/attempts redelivers it with the same delivery id', async () => {
    let rows: DeliveryJson[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await as(aliceToken, 'GET', `/repos/team/ci-git/hooks/${gitHook.id}/deliveries`);
      assert.equal(r.status, 200, r.body);
      rows = r.json as DeliveryJson[];
      if (rows.length >= 2 && rows.every((d) => d.status === 'delivered')) break;
      await sleep(100);
    }
    const push = rows.find((d) => d.event === 'push');
    assert.ok(push, JSON.stringify(rows));
    assert.equal(push.status, 'delivered');
    assert.equal(push.status_code, 200);
    assert.ok(!JSON.stringify(push.request.headers).includes(SECRET));
    const one = await as(aliceToken, 'GET', `/repos/team/ci-git/hooks/${gitHook.id}/deliveries/${push.id}`);
    assert.equal(one.status, 200, one.body);
    assert.equal((one.json as DeliveryJson).guid, push.guid);
    const again = await as(aliceToken, 'POST', `/repos/team/ci-git/hooks/${gitHook.id}/deliveries/${push.id}/attempts`);
    assert.equal(again.status, 202, again.body);
    assert.equal((again.json as DeliveryJson).redelivery, true);
    const got = await receiver.waitFor((r) => r.headers['x-github-delivery'] === push.guid, 2);
    assert.equal(got[1]?.signatureValid, true);
  });

  it('PATCH /hooks/{id} edits a hook; active=false stops deliveries and active=true starts them again', async () => {
    const off = await as(aliceToken, 'PATCH', `/repos/team/ci-git/hooks/${gitHook.id}`, { active: false, events: ['push'] });
    assert.equal(off.status, 200, off.body);
    assert.equal((off.json as HookJson).active, false);
    assert.deepEqual((off.json as HookJson).events, ['push']);
    const before = receiver.received.length;
    const quiet = await gitCommitPush('team/ci-git', 'b.txt', 'two\n');
    await sleep(2000);
    assert.equal(receiver.received.filter((r) => r.json.after === quiet).length, 0, 'an inactive hook gets nothing');
    assert.equal(receiver.received.length, before);
    const on = await as(aliceToken, 'PATCH', `/repos/team/ci-git/hooks/${gitHook.id}`, { active: true });
    assert.equal((on.json as HookJson).active, true);
    const loud = await gitCommitPush('team/ci-git', 'c.txt', 'three\n');
    const [push] = await receiver.waitFor((r) => r.json.after === loud);
    assert.equal(push?.signatureValid, true);
  });

  it('an hg push over HTTP fires a hook created through the API, listing the pushed changesets', async () => {
    const created = await as(aliceToken, 'POST', '/repos/team/ci-hg/hooks', { type: 'gitea', config: { url: receiver.url, content_type: 'json', secret: SECRET }, events: ['push'] });
    assert.equal(created.status, 201, created.body);
    const dir = join(tempDir('ferry-api-hooks-hg-'), 'w');
    await expectOk(alice.hg(['init', dir]));
    writeFileSync(join(dir, 'x.txt'), 'x\n');
    await expectOk(alice.hg(['-R', dir, '--config', 'ui.username=Alice <alice@example.com>', 'commit', '-A', '-m', 'hg one']));
    const node = (await expectOk(alice.hg(['-R', dir, 'log', '-r', '.', '-T', '{node}']))).stdout.trim();
    await expectOk(alice.hg(['-R', dir, 'push', pushUrl('team/ci-hg')]));
    const [push] = await receiver.waitFor(ofRepo('team/ci-hg'));
    assert.ok(push);
    assert.equal(push.signatureValid, true);
    assert.equal(push.json.ref, 'refs/heads/branch/default');
    assert.deepEqual((push.json.commits as { id: string }[]).map((c) => c.id), [node]);
  });

  it('webhook routes need admin: a writer gets 403, someone who may not see the private repo 404, no token 401/404', async () => {
    const hookPath = `/repos/team/ci-git/hooks/${gitHook.id}`;
    for (const [method, path, body] of [
      ['GET', '/repos/team/ci-git/hooks', undefined],
      ['POST', '/repos/team/ci-git/hooks', { config: { url: receiver.url } }],
      ['GET', hookPath, undefined],
      ['PATCH', hookPath, { active: false }],
      ['DELETE', hookPath, undefined],
      ['GET', `${hookPath}/deliveries`, undefined],
    ] as const) {
      const writer = await as(bobToken, method, path, body);
      assert.equal(writer.status, 403, `bob (write) ${method} ${path}: ${writer.body}`);
      const stranger = await as(carolToken, method, path, body);
      assert.equal(stranger.status, 404, `carol (no access) ${method} ${path}: ${stranger.body}`);
      assert.ok(!stranger.body.includes(receiver.url));
    }
    const anonymous = await curl([`${api}/repos/team/ci-git/hooks`]);
    assert.ok(anonymous.status === 401 || anonymous.status === 404, `anonymous: ${anonymous.status}`);
    const still = await as(aliceToken, 'GET', hookPath);
    assert.equal((still.json as HookJson).active, true, 'nothing the others sent changed the hook');
  });

  it('an unknown hook or delivery id is 404, also one of another repo; a refused URL or event is a 4xx naming the fault', async () => {
    for (const [method, path] of [
      ['GET', '/repos/team/ci-git/hooks/999999'],
      ['PATCH', '/repos/team/ci-git/hooks/999999'],
      ['DELETE', '/repos/team/ci-git/hooks/999999'],
      ['GET', '/repos/team/ci-git/hooks/999999/deliveries'],
      ['GET', `/repos/team/ci-git/hooks/${gitHook.id}/deliveries/999999`],
      ['POST', `/repos/team/ci-git/hooks/${gitHook.id}/deliveries/999999/attempts`],
    ] as const) {
      const r = await as(aliceToken, method, path, method === 'PATCH' ? { active: true } : undefined);
      assert.equal(r.status, 404, `${method} ${path}: ${r.body}`);
    }
    const hgHooks = (await as(aliceToken, 'GET', '/repos/team/ci-hg/hooks')).json as HookJson[];
    const hgHook = hgHooks[0];
    assert.ok(hgHook);
    assert.equal((await as(aliceToken, 'GET', `/repos/team/ci-git/hooks/${hgHook.id}`)).status, 404, "the hg repo's hook is not the git repo's");
    const gitDelivery = ((await as(aliceToken, 'GET', `/repos/team/ci-git/hooks/${gitHook.id}/deliveries`)).json as DeliveryJson[])[0];
    assert.ok(gitDelivery);
    assert.equal((await as(aliceToken, 'GET', `/repos/team/ci-hg/hooks/${hgHook.id}/deliveries/${gitDelivery.id}`)).status, 404);
    assert.equal((await as(aliceToken, 'POST', `/repos/team/ci-hg/hooks/${hgHook.id}/deliveries/${gitDelivery.id}/attempts`)).status, 404);

    const metadata = await as(aliceToken, 'POST', '/repos/team/ci-git/hooks', { config: { url: 'http://169.254.169.254/latest' } });
    assert.ok(metadata.status >= 400 && metadata.status < 500, `${metadata.status} ${metadata.body}`);
    assert.match(metadata.body, /allowed_hosts|not allowed|refus/i);
    const badEvent = await as(aliceToken, 'POST', '/repos/team/ci-git/hooks', { config: { url: receiver.url }, events: ['pull_request'] });
    assert.ok(badEvent.status >= 400 && badEvent.status < 500, `${badEvent.status} ${badEvent.body}`);
  });

  it('DELETE /hooks/{id} removes the hook (204): it is 404 afterwards and a push delivers nothing', async () => {
    const removed = await as(aliceToken, 'DELETE', `/repos/team/ci-git/hooks/${gitHook.id}`);
    assert.equal(removed.status, 204, removed.body);
    assert.equal((await as(aliceToken, 'GET', `/repos/team/ci-git/hooks/${gitHook.id}`)).status, 404);
    assert.deepEqual((await as(aliceToken, 'GET', '/repos/team/ci-git/hooks')).json, []);
    const head = await gitCommitPush('team/ci-git', 'd.txt', 'four\n');
    await sleep(1500);
    assert.equal(receiver.received.filter((r) => r.json.after === head).length, 0);
  });
});
