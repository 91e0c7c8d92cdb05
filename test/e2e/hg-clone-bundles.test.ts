import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { addUser, makeClient, makeHgRepo, run, runOk, startFerry, tempDir, type Client, type FerryServer, expectOk } from './harness.js';

const bundlesReady = (ferry: FerryServer) => ferry.output().split('\n').filter((l) => l.includes('hg clone bundle: ready')).length;

/** Waits (bounded) until the server has logged `count` finished bundles. */
async function waitForBundles(ferry: FerryServer, count: number): Promise<void> {
  for (let i = 0; i < 100 && bundlesReady(ferry) < count; i++) await sleep(100);
  assert.equal(bundlesReady(ferry), count, ferry.output());
}

/** `hg clone -U SOURCE` by `client` into a new dir, which must verify; its output and dir. */
async function cloneVerified(client: Client, source: string): Promise<{ output: string; dir: string }> {
  const dir = join(tempDir('ferry-cb-clone-'), 'c');
  const clone = await client.hg(['clone', '-U', source, dir]);
  assert.equal(clone.code, 0, clone.stderr);
  assert.equal((await client.hg(['-R', dir, 'verify', '-q'])).code, 0);
  return { output: clone.stdout + clone.stderr, dir };
}

describe('hg clone bundles over HTTP', () => {
  let ferry: FerryServer;
  let alice: Client;
  let work: string;
  let aliceToken: string;
  const url = (token: string, user = 'alice') => `http://${user}:${token}@127.0.0.1:${ferry.httpPort}/team/big`;
  const tokenOf = async (user: string) => (await ferry.cliOk(['token', 'add', user, '--read-only'])).stdout.trim().split(/\s+/).pop() as string;

  const cloneOver = (source: string) => cloneVerified(alice, source);

  const tipOf = async (dir: string) => (await alice.hg(['-R', dir, 'log', '-r', 'tip', '-T', '{node}'])).stdout;

  before(async () => {
    ferry = await startFerry({ toml: '[hg]\nclone_bundle_min_size = "1KB"\n', env: { FERRY_LOG_LEVEL: 'info' } });
    alice = await addUser(ferry, 'alice', { admin: true });
    await ferry.cliOk(['repo', 'create', 'team/big']);
    work = await makeHgRepo(alice, 30);
    const push = await alice.hg(['-R', work, 'push', alice.sshUrl('team/big')]);
    assert.equal(push.code, 0, push.stderr);
    aliceToken = await tokenOf('alice');
  });
  after(() => ferry?.stop());

  it('builds a stream bundle on the first clone and seeds later clones with it, then pulls what came after', async () => {
    const first = await cloneOver(url(aliceToken));
    assert.doesNotMatch(first.output, /applying clone bundle/);
    await waitForBundles(ferry, 1);

    const second = await cloneOver(url(aliceToken));
    assert.match(second.output, /applying clone bundle from http:\/\/127\.0\.0\.1:\d+\/-\/hg-clone-bundles\//);
    assert.match(second.output, /finished applying clone bundle/);
    assert.equal(await tipOf(second.dir), await tipOf(work));

    // A push makes the bundle stale: clones still start from it and pull the new changeset.
    writeFileSync(join(work, 'after.txt'), 'after the bundle\n');
    await expectOk(alice.hg(['-R', work, 'commit', '-A', '-m', 'after the bundle']));
    assert.equal((await alice.hg(['-R', work, 'push', alice.sshUrl('team/big')])).code, 0);
    const third = await cloneOver(url(aliceToken));
    assert.match(third.output, /applying clone bundle/);
    assert.match(third.output, /added 1 changesets/);
    assert.equal(await tipOf(third.dir), await tipOf(work));
    await waitForBundles(ferry, 2);
    const fourth = await cloneOver(url(aliceToken));
    assert.match(fourth.output, /applying clone bundle/);
    assert.match(fourth.output, /no changes found/);

    // Over SSH with no [http] base_url, the links use the URL the web pages derive (localhost here),
    // and the start-up output says so.
    assert.match(ferry.output(), new RegExp(`hg clone bundle links over ssh use http://localhost:${ferry.httpPort} `));
    const overSsh = await cloneOver(alice.sshUrl('team/big'));
    assert.match(overSsh.output, new RegExp(`applying clone bundle from http://localhost:${ferry.httpPort}/-/hg-clone-bundles/`));
    assert.equal(await tipOf(overSsh.dir), await tipOf(work));

    // Clients that turn clone bundles off clone the usual way.
    const plain = join(tempDir('ferry-cb-plain-'), 'c');
    const off = await alice.hg(['clone', '-U', '--config', 'ui.clonebundles=false', url(aliceToken), plain]);
    assert.doesNotMatch(off.stdout + off.stderr, /clone bundle/);
    assert.equal(await tipOf(plain), await tipOf(work));
  });

  it('signs bundle links for one reader, checks access again at fetch, and refuses altered links', async () => {
    await ferry.cliOk(['user', 'add', 'carol']);
    await ferry.cliOk(['grant', 'carol', 'team/big', 'read']);
    const carolToken = await tokenOf('carol');
    const manifest = (await runOk('curl', ['-sS', '-u', `carol:${carolToken}`, `${ferry.baseUrl}/team/big?cmd=clonebundles`])).stdout;
    const link = /^(http:\S+) BUNDLESPEC=none-v2;stream=v2/.exec(manifest)?.[1];
    assert.ok(link, manifest);
    const status = async (target: string) => (await runOk('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', target])).stdout;
    assert.equal(await status(link), '200', 'the signed link works without credentials');
    assert.equal(await status(link.replace(/sig=[^&]+/, 'sig=AAAA')), '403');
    assert.equal(await status(link.replace('for=user%3A', 'for=user%3A9')), '403');
    const refused = await run('curl', ['-s', `${link.replace(/sig=[^&]+/, 'sig=AAAA')}`]);
    assert.match(refused.stdout, /not valid \(expired or altered\): clone again/);

    // A link dies with the token it was issued to (security issue 11.1: a removed token is refused next time).
    const spare = await tokenOf('carol');
    const spareManifest = (await runOk('curl', ['-sS', '-u', `carol:${spare}`, `${ferry.baseUrl}/team/big?cmd=clonebundles`])).stdout;
    const spareLink = /^(http:\S+) BUNDLESPEC=/.exec(spareManifest)?.[1] as string;
    assert.equal(await status(spareLink), '200');
    const ids = [...(await ferry.cliOk(['token', 'list', 'carol'])).stdout.matchAll(/^\s*(\d+)\s/gm)].map((m) => m[1] as string);
    await ferry.cliOk(['token', 'rm', 'carol', ids[ids.length - 1] as string]);
    assert.equal(await status(spareLink), '404', 'the link of a removed token no longer works');
    assert.equal(await status(link), '200', 'the link of the token still there does');

    await ferry.cliOk(['revoke', 'carol', 'team/big']);
    assert.equal(await status(link), '404', 'a reader whose grant was revoked cannot fetch the bundle any more');

    // Nobody without access learns a link: the manifest is behind the same check as the repo.
    const bobToken = (await ferry.cliOk(['user', 'add', 'bob']), await tokenOf('bob'));
    assert.equal(await status(`http://bob:${bobToken}@127.0.0.1:${ferry.httpPort}/team/big?cmd=clonebundles`), '404');
    assert.equal(await status(`${ferry.baseUrl}/team/big?cmd=clonebundles`), '401');
  });
});

/** A port nothing listens on right now, for a server whose public URL must be known before it starts. */
async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('hg clone bundles over SSH, with [http] base_url set', () => {
  it('offers the bundle to ssh clones, with a link to the HTTP server signed for the ssh user', async () => {
    const port = await freePort();
    const ferry = await startFerry({
      toml: `[http]\nbase_url = "http://127.0.0.1:${port}"\n[hg]\nclone_bundle_min_size = "1KB"\n`,
      env: { FERRY_LOG_LEVEL: 'info', FERRY_HTTP_PORT: String(port) },
    });
    try {
      const alice = await addUser(ferry, 'alice', { admin: true });
      await ferry.cliOk(['repo', 'create', 'team/big']);
      const work = await makeHgRepo(alice, 30);
      assert.equal((await alice.hg(['-R', work, 'push', alice.sshUrl('team/big')])).code, 0);
      const tipOf = async (dir: string) => (await alice.hg(['-R', dir, 'log', '-r', 'tip', '-T', '{node}'])).stdout;
      const clone = async () => {
        const { output, dir } = await cloneVerified(alice, alice.sshUrl('team/big'));
        assert.equal(await tipOf(dir), await tipOf(work));
        return output;
      };
      assert.doesNotMatch(await clone(), /clone bundle/);
      await waitForBundles(ferry, 1);
      const seeded = await clone();
      assert.match(seeded, new RegExp(`applying clone bundle from http://127\\.0\\.0\\.1:${port}/-/hg-clone-bundles/\\d+/[0-9a-f]{24}\\.hg\\?for=user%3A`));
      assert.match(seeded, /finished applying clone bundle/);

      // A read-only deploy key (a CI runner) gets its own link; removing the key stops it.
      const ci = await makeClient(ferry, 'ci');
      const added = await ferry.cliOk(['deploy-key', 'add', 'team/big', ci.key.publicPath]);
      const fingerprint = /SHA256:\S+/.exec(added.stdout)?.[0] as string;
      const byCi = await cloneVerified(ci, ci.sshUrl('team/big'));
      const link = /applying clone bundle from (\S+)/.exec(byCi.output)?.[1];
      assert.ok(link?.includes('for=deploy%3ASHA256'), byCi.output);
      const status = async () => (await runOk('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', link as string])).stdout;
      assert.equal(await status(), '200');
      await ferry.cliOk(['deploy-key', 'rm', 'team/big', fingerprint]);
      assert.equal(await status(), '404');
    } finally {
      await ferry.stop();
    }
  });
});

describe('hg clone bundles over SSH with no [http] base_url (fast clones by default)', () => {
  it('on a wildcard listener, links to the address the ssh client reached, at the HTTP port', async () => {
    const ferry = await startFerry({
      toml: '[hg]\nclone_bundle_min_size = "1KB"\n',
      env: { FERRY_LOG_LEVEL: 'info', FERRY_HTTP_LISTEN: '0.0.0.0', FERRY_SSH_LISTEN: '0.0.0.0' },
    });
    try {
      assert.match(ferry.output(), new RegExp(`hg clone bundle links over ssh use http://<the address each SSH client connected to>:${ferry.httpPort} `));
      const alice = await addUser(ferry, 'alice', { admin: true });
      await ferry.cliOk(['repo', 'create', 'team/big']);
      const work = await makeHgRepo(alice, 30);
      assert.equal((await alice.hg(['-R', work, 'push', alice.sshUrl('team/big')])).code, 0);
      assert.doesNotMatch((await cloneVerified(alice, alice.sshUrl('team/big'))).output, /clone bundle/);
      await waitForBundles(ferry, 1);
      const fresh = await cloneVerified(alice, alice.sshUrl('team/big'));
      assert.match(fresh.output, new RegExp(`applying clone bundle from http://127\\.0\\.0\\.1:${ferry.httpPort}/-/hg-clone-bundles/\\d+/[0-9a-f]{24}\\.hg\\?for=user%3A`));
      assert.match(fresh.output, /finished applying clone bundle/);
      const tip = async (dir: string) => (await alice.hg(['-R', dir, 'log', '-r', 'tip', '-T', '{node}'])).stdout;
      assert.equal(await tip(fresh.dir), await tip(work));
    } finally {
      await ferry.stop();
    }
  });
});
