import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { loadHostKeys, type KeyPairGenerator } from '../../src/ssh/host-keys.js';

const real = promisify(ssh2.utils.generateKeyPair) as KeyPairGenerator;
/** ssh2's generator, with small RSA keys to keep the test quick. */
const quick: KeyPairGenerator = (type, opts) => real(type, type === 'rsa' ? { ...opts, bits: 1024 } : opts);
const MALFORMED = { private: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n', public: 'ssh-ed25519 AAAA' };
const readable = (key: Buffer) => !(ssh2.utils.parseKey(key) instanceof Error);

describe('ssh host keys', () => {
  it('never keeps a generated key ssh2 cannot read back (mscdex/ssh2#1513)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-hostkeys-'));
    let calls = 0;
    const flaky: KeyPairGenerator = async (type, opts) => (++calls <= 3 ? MALFORMED : quick(type, opts));
    const keys = await loadHostKeys(dir, flaky);
    assert.equal(keys.length, 3);
    assert.ok(keys.every(readable));
    assert.ok(calls > 3, 'the malformed pairs were made again');
  });

  it('keeps readable stored keys, and sets aside and replaces one that does not parse', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-hostkeys-'));
    const first = await loadHostKeys(dir, quick);
    assert.deepEqual(await loadHostKeys(dir, quick), first, 'the same keys on the next start');
    writeFileSync(join(dir, 'ssh_host_ed25519_key'), MALFORMED.private);
    const again = await loadHostKeys(dir, quick);
    assert.ok(again.every(readable));
    assert.equal(readFileSync(join(dir, 'ssh_host_ed25519_key.unreadable'), 'utf8'), MALFORMED.private);
    assert.deepEqual(again.slice(1), first.slice(1), 'the other keys did not change');
    assert.ok(existsSync(join(dir, 'ssh_host_ed25519_key.pub')));
  });
});
