import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseAllowedHosts, parseHookUrl } from '../../src/webhooks/target-policy.js';
import { signatureHeaders } from '../../src/webhooks/signature.js';
import { diffRefs } from '../../src/vcs/refs.js';

describe('webhook target policy ([webhooks] allowed_hosts)', () => {
  it('refuses loopback, private, link-local, metadata and special addresses by default, allows public ones', () => {
    const policy = parseAllowedHosts('');
    for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.0.1', '169.254.169.254', 'fd00:ec2::254', 'fe80::1', '100.100.100.200', '0.0.0.0', '::', '224.0.0.1']) {
      assert.ok(policy.refusal('h', a), a);
    }
    for (const a of ['8.8.8.8', '2001:4860:4860::8888', '140.82.112.3']) assert.equal(policy.refusal('h', a), undefined, a);
  });

  it('allows what the list names: loopback, private, CIDRs, host names with wildcards, *', () => {
    assert.equal(parseAllowedHosts('loopback').refusal('localhost', '127.0.0.1'), undefined);
    assert.ok(parseAllowedHosts('loopback').refusal('x', '10.0.0.1'));
    assert.equal(parseAllowedHosts('private').refusal('x', '10.0.0.1'), undefined);
    assert.ok(parseAllowedHosts('private').refusal('x', '127.0.0.1'));
    assert.equal(parseAllowedHosts('10.1.0.0/16').refusal('x', '10.1.9.9'), undefined);
    assert.ok(parseAllowedHosts('10.1.0.0/16').refusal('x', '10.2.0.1'));
    assert.equal(parseAllowedHosts('*.ci.internal').refusal('build.ci.internal', '10.0.0.5'), undefined);
    assert.ok(parseAllowedHosts('*.ci.internal').refusal('evil.example', '10.0.0.5'));
    assert.equal(parseAllowedHosts('*').refusal('x', '127.0.0.1'), undefined);
    assert.throws(() => parseAllowedHosts('10.0.0.0/99'), /allowed_hosts/);
  });

  it('checks hook URLs as typed: scheme, credentials, IP literals', () => {
    const policy = parseAllowedHosts('');
    assert.equal(parseHookUrl('https://ci.example.com/hook', policy).url.hostname, 'ci.example.com');
    assert.throws(() => parseHookUrl('ftp://x/', policy), { code: 'FERRY_UNSAFE_HOOK_URL' });
    assert.throws(() => parseHookUrl('http://u:p@x/', policy), /--secret/);
    assert.throws(() => parseHookUrl('http://2130706433/', policy), /loopback/);
    assert.throws(() => parseHookUrl('http://[::ffff:7f00:1]/', policy), /loopback/);
  });
});

describe('webhook signatures and ref updates', () => {
  it('signs the body with HMAC-SHA256 as GitHub and Gitea do (GitHub docs example)', () => {
    const h = signatureHeaders('Hello, World!', "It's a Secret to Everybody");
    assert.equal(h['x-hub-signature-256'], 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
    assert.equal(h['x-gitea-signature'], '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
    assert.deepEqual(signatureHeaders('x', ''), {});
  });

  it('diffs ref tables into created, moved and deleted refs', () => {
    const before = new Map([['refs/heads/main', 'a'], ['refs/heads/old', 'b']]);
    const after = new Map([['refs/heads/main', 'c'], ['refs/tags/v1', 'c']]);
    assert.deepEqual(diffRefs(before, after), [
      { ref: 'refs/heads/main', before: 'a', after: 'c' },
      { ref: 'refs/heads/old', before: 'b', after: null },
      { ref: 'refs/tags/v1', before: null, after: 'c' },
    ]);
  });
});
