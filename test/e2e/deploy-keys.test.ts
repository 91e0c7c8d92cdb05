import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ferryCli, makeKey, tempDir } from './harness.js';

describe('ferry deploy-key', () => {
  it('refuses a key that is already a user key, and a deploy key that is already on another repo, adding nothing', async () => {
    const data = tempDir();
    const keys = tempDir();
    const userKey = await makeKey(keys, 'alice');
    const deployKey = await makeKey(keys, 'ci');
    await ferryCli(data, ['user', 'add', 'alice']);
    assert.equal((await ferryCli(data, ['key', 'add', 'alice', userKey.publicPath])).code, 0);
    assert.equal((await ferryCli(data, ['repo', 'create', 'team/app'])).code, 0);
    assert.equal((await ferryCli(data, ['repo', 'create', 'team/lib', '--git'])).code, 0);

    const refused = await ferryCli(data, ['deploy-key', 'add', 'team/app', userKey.publicPath, '--write']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^ferry: key SHA256:\S+ is already in use \(each key identifies one user or one deploy key\); nothing was added: make a new key with ssh-keygen\n$/);
    assert.doesNotMatch((await ferryCli(data, ['deploy-key', 'list', 'team/app'])).stdout, new RegExp(userKey.fingerprint.replace(/[+/]/g, '\\$&')));

    const added = await ferryCli(data, ['deploy-key', 'add', 'team/app', deployKey.publicPath]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /added read-only deploy key/);
    const twice = await ferryCli(data, ['deploy-key', 'add', 'team/lib', deployKey.publicPath]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already in use/);
    const asUserKey = await ferryCli(data, ['key', 'add', 'alice', deployKey.publicPath]);
    assert.equal(asUserKey.code, 1);
    assert.match(asUserKey.stderr, /already in use/);
  });
});
