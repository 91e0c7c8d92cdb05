import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ssh2, { type ParsedKey } from 'ssh2';
import { parsePublicKeyLine } from '../../src/domain/public-key.js';
import { parseUserName } from '../../src/domain/user-name.js';
import { checkPublicKey } from '../../src/ssh/auth.js';
import type { Stores } from '../../src/store/types.js';
import { ENGINES } from '../support/engines.js';

/** A pair ssh2 can read back: its generator makes one it cannot about once in 256 (mscdex/ssh2#1513). */
function keyPair(type: 'ed25519' | 'rsa'): { priv: ParsedKey; publicLine: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync(type, type === 'rsa' ? { bits: 2048 } : {});
    const priv = ssh2.utils.parseKey(pair.private);
    if (priv instanceof Error || Array.isArray(priv) || ssh2.utils.parseKey(pair.public) instanceof Error) continue;
    return { priv, publicLine: pair.public };
  }
}

for (const engine of ENGINES) {
  describe(`SSH public-key authentication (${engine.name})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-auth-'));
    let stores: Stores;
    const alice = keyPair('ed25519');
    const aliceRsa = keyPair('rsa');
    const mallory = keyPair('ed25519');
    const sessionBlob = Buffer.from('session id and userauth request');

    before(async () => {
      stores = await engine.openStores();
      const user = await stores.users.create(parseUserName('alice'), { admin: false });
      await stores.keys.addUserKey(user.id, parsePublicKeyLine(alice.publicLine));
      await stores.keys.addUserKey(user.id, parsePublicKeyLine(aliceRsa.publicLine));
    });
    after(() => {
      stores.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('only says "acceptable" to a query without a signature', async () => {
      const outcome = await checkPublicKey(stores.keys, { key: { algo: 'ssh-ed25519', data: alice.priv.getPublicSSH() } });
      assert.deepEqual(outcome, { kind: 'acceptable' });
    });

    it('authenticates a signature made by the registered key', async () => {
      const signature = alice.priv.sign(sessionBlob) as Buffer;
      const outcome = await checkPublicKey(stores.keys, { key: { algo: 'ssh-ed25519', data: alice.priv.getPublicSSH() }, signature, blob: sessionBlob });
      assert.equal(outcome.kind, 'authenticated');
      assert.ok(outcome.kind === 'authenticated' && outcome.subject.kind === 'user' && outcome.subject.user.name === 'alice');
    });

    it("refuses another key's signature presented with a registered public key", async () => {
      const signature = mallory.priv.sign(sessionBlob) as Buffer;
      const outcome = await checkPublicKey(stores.keys, { key: { algo: 'ssh-ed25519', data: alice.priv.getPublicSSH() }, signature, blob: sessionBlob });
      assert.equal(outcome.kind, 'rejected');
    });

    it('refuses unknown keys', async () => {
      const outcome = await checkPublicKey(stores.keys, { key: { algo: 'ssh-ed25519', data: mallory.priv.getPublicSSH() } });
      assert.equal(outcome.kind, 'rejected');
    });

    it('accepts rsa-sha2 signatures and refuses ssh-rsa SHA-1 ones', async () => {
      const data = aliceRsa.priv.getPublicSSH();
      const sha256 = aliceRsa.priv.sign(sessionBlob, 'sha256') as Buffer;
      const good = await checkPublicKey(stores.keys, { key: { algo: 'ssh-rsa', data }, signature: sha256, blob: sessionBlob, hashAlgo: 'sha256' });
      assert.equal(good.kind, 'authenticated');
      const sha1 = aliceRsa.priv.sign(sessionBlob) as Buffer;
      const bad = await checkPublicKey(stores.keys, { key: { algo: 'ssh-rsa', data }, signature: sha1, blob: sessionBlob });
      assert.equal(bad.kind, 'rejected');
      const query = await checkPublicKey(stores.keys, { key: { algo: 'ssh-rsa', data } });
      assert.equal(query.kind, 'rejected');
    });
  });
}
