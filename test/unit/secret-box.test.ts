import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SecretBox } from '../../src/mirrors/secret-box.js';

describe('SecretBox (mirror credentials at rest)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-box-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates its key file 0600 on first use and opens what it sealed, bound to the context', () => {
    const keyFile = join(dir, 'secrets', 'mirror.key');
    const box = new SecretBox(keyFile, '');
    const sealed = box.seal('hunter2', 'ferry-mirror:1:credentials');
    assert.ok(!sealed.includes('hunter2'));
    assert.notEqual(box.seal('hunter2', 'ferry-mirror:1:credentials'), sealed, 'a fresh IV every time');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'secrets')).mode & 0o777, 0o700);
    assert.equal(new SecretBox(keyFile, '').open(sealed, 'ferry-mirror:1:credentials'), 'hunter2');
    assert.throws(() => box.open(sealed, 'ferry-mirror:2:credentials'), { code: 'FERRY_CONFIG' });
    const tampered = sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.throws(() => box.open(tampered, 'ferry-mirror:1:credentials'), { code: 'FERRY_CONFIG' });
  });

  it('uses FERRY_MIRRORS_KEY when set, and refuses a key of the wrong size', () => {
    const key = randomBytes(32).toString('base64');
    const a = new SecretBox(join(dir, 'unused.key'), key);
    const sealed = a.seal('token', 'ctx');
    assert.equal(new SecretBox(join(dir, 'other.key'), key).open(sealed, 'ctx'), 'token');
    assert.throws(() => new SecretBox(join(dir, 'x.key'), randomBytes(32).toString('base64')).open(sealed, 'ctx'), /the mirrors key changed/);
    assert.throws(() => new SecretBox(join(dir, 'y.key'), 'c2hvcnQ=').seal('x', 'ctx'), /must be 32 bytes/);
  });
});
