import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { addUser, expectOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

/**
 * SSRF through outbound webhooks (issue 16 item 6): a hook URL may not reach loopback, private,
 * link-local or metadata addresses unless [webhooks] allowed_hosts allows them; the check is made on
 * the address actually connected to, and redirects are not followed. Here only 127.0.0.2 is allowed.
 */
describe('security: webhook SSRF', () => {
  let server: FerryServer;
  let alice: Client;
  let loopback: Receiver;

  before(async () => {
    server = await startFerry({ toml: '[webhooks]\nallowed_hosts = "127.0.0.2/32"\nmax_attempts = 1\n' });
    alice = await addUser(server, 'alice');
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    loopback = await startReceiver('s', '127.0.0.1');
  });
  after(async () => {
    await loopback.close();
    await server.stop();
  });

  async function pushTo(path: string): Promise<void> {
    const dir = join(tempDir(), 'work');
    await expectOk(alice.git(['init', '-q', '-b', 'main', dir]));
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    await expectOk(alice.git(['-C', dir, 'add', '.']));
    await expectOk(alice.git(['-C', dir, 'commit', '-q', '-m', 'one']));
    await expectOk(alice.git(['-C', dir, 'push', '-q', alice.sshUrl(path), 'main']));
  }

  /** The delivery rows of the repo's first hook, once every one has been tried. */
  async function settledDeliveries(path: string): Promise<{ state: string; error: string | null; response: { status: number | null } }[]> {
    for (let i = 0; i < 100; i++) {
      const rows = (await server.cliOk(['hook', 'deliveries', path, await firstHookId(path), '--full'])).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { state: string; error: string | null; response: { status: number | null } });
      if (rows.length > 0 && rows.every((r) => r.state !== 'pending')) return rows;
      await sleep(100);
    }
    throw new Error('deliveries stayed pending');
  }

  async function firstHookId(path: string): Promise<string> {
    const line = (await server.cliOk(['hook', 'list', path])).stdout.trim().split('\n')[1] ?? '';
    return line.split(/\s+/)[0] as string;
  }

  it('webhook-ssrf-loopback-literal: a hook URL naming a loopback, private, link-local or metadata address is refused without allowed_hosts', async () => {
    await server.cliOk(['repo', 'create', 'team/literal', '--git']);
    for (const url of [
      `http://127.0.0.1:${loopback.port}/hook`,
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://2130706433/hook',
      'http://10.0.0.1/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://0.0.0.0/hook',
    ]) {
      const r = await server.cli(['hook', 'add', 'team/literal', url]);
      assert.equal(r.code, 1, `${url} must be refused: ${r.stdout}`);
      assert.match(r.stderr, /refusing webhook URL .*allowed_hosts/, url);
    }
    const scheme = await server.cli(['hook', 'add', 'team/literal', 'file:///etc/passwd']);
    assert.equal(scheme.code, 1);
    assert.match(scheme.stderr, /scheme file:/);
    assert.equal((await server.cliOk(['hook', 'list', 'team/literal'])).stdout.trim().split('\n').length, 1, 'no hook was added');
  });

  it('webhook-ssrf-dns-name: a host name resolving to 127.0.0.1 is refused on the address connected to, at delivery', async () => {
    await server.cliOk(['repo', 'create', 'team/dns', '--git']);
    await server.cliOk(['hook', 'add', 'team/dns', `http://localhost:${loopback.port}/hook`]);
    await pushTo('team/dns');
    const rows = await settledDeliveries('team/dns');
    assert.ok(rows.every((r) => r.state === 'failed' && /refused: .*127\.0\.0\.1.*loopback/.test(r.error ?? '') && r.response.status === null), JSON.stringify(rows));
    assert.equal(loopback.received.length, 0, 'nothing reached the loopback receiver');
  });

  it('webhook-ssrf-redirect: a receiver answering a redirect to loopback is not followed', async () => {
    const allowed = await startReceiver('s', '127.0.0.2');
    allowed.answer = { status: 302, headers: { location: `http://127.0.0.1:${loopback.port}/hook` } };
    try {
      await server.cliOk(['repo', 'create', 'team/redirect', '--git']);
      await server.cliOk(['hook', 'add', 'team/redirect', allowed.url]);
      await pushTo('team/redirect');
      const rows = await settledDeliveries('team/redirect');
      assert.ok(allowed.received.length >= 1, 'the allowed receiver was reached');
      assert.ok(rows.every((r) => r.state === 'failed' && r.response.status === 302 && /redirects are not followed/.test(r.error ?? '')), JSON.stringify(rows));
      await sleep(500);
      assert.equal(loopback.received.length, 0, 'the redirect to loopback was not followed');
    } finally {
      await allowed.close();
    }
  });
});
