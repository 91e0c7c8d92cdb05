import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertStoredNowhere } from '../e2e/secrets.js';
import { tempDir } from '../e2e/harness.js';

describe('assertStoredNowhere (the check behind "the secret is stored nowhere")', () => {
  const secret = 'tok-123-secret';
  for (const [name, stored] of [
    ['as is', `x ${secret} y`],
    ['base64', `{"s":"${Buffer.from(`ab${secret}`).toString('base64')}"}`],
    ['base64, other alignment', Buffer.from(`a${secret}zz`).toString('base64')],
    ['base64url', Buffer.from(`${secret}?>`).toString('base64url')],
    ['hex', Buffer.from(secret).toString('hex')],
    ['URL-encoded', encodeURIComponent(`${secret}/x`)],
    ['UTF-16', Buffer.from(secret, 'utf16le').toString('latin1')],
  ] as const) {
    it(`finds a secret stored ${name}, in a nested file`, () => {
      const dir = tempDir();
      mkdirSync(join(dir, 'a', 'b'), { recursive: true });
      writeFileSync(join(dir, 'a', 'b', 'f'), Buffer.from(stored, 'latin1'));
      assert.throws(() => assertStoredNowhere(dir, [secret], 'test'), /found in/);
    });
  }

  it('passes when the secret is not there, and fails on an empty or missing directory', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f'), 'nothing to see');
    assert.equal(assertStoredNowhere(dir, [secret], 'test'), 1);
    assert.throws(() => assertStoredNowhere(tempDir(), [secret], 'test'), /no file to search/);
    assert.throws(() => assertStoredNowhere(join(dir, 'missing'), [secret], 'test'), /ENOENT/);
  });
});
