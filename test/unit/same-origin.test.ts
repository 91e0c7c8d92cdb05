import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { sameOriginPath } from '../../src/web/same-origin.js';

const SITE = 'http://ferry.example:8080';

describe('sameOriginPath (sign-in next=)', () => {
  it('keeps paths of this site, query and fragment included', () => {
    assert.equal(sameOriginPath('/team/app/-/log?x=1#top', SITE), '/team/app/-/log?x=1#top');
    assert.equal(sameOriginPath(`${SITE}/a`, SITE), '/a');
    assert.equal(sameOriginPath('/a/../b', SITE), '/b');
  });

  it('sends everything that a browser would take to another site to /', () => {
    for (const next of ['/\t/evil.example', '/\t\\evil.example', '//evil.example', '/\\evil.example', '\\\\evil.example', '/.//evil.example', '/%2e//evil.example', ' //evil.example', 'https://evil.example/', 'javascript:alert(1)', 'http://ferry.example:8081/', '/\r\n/evil.example']) {
      assert.equal(sameOriginPath(next, SITE), '/', JSON.stringify(next));
    }
    assert.equal(sameOriginPath(null, SITE), '/');
  });

  it('never returns a control character (a header injection)', () => {
    assert.equal(sameOriginPath('/\r\nSet-Cookie: x=1', SITE), '/Set-Cookie:%20x=1');
  });
});
