import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { evaluatePreconditions, httpDate, ifRangeHolds } from '../../src/http/preconditions.js';

const ETAG = '"0123abcd"';
const MODIFIED = Date.UTC(2026, 10, 30, 12, 0, 0, 500);
const AT = 'Mon, 30 Nov 2026 12:00:00 GMT';
const BEFORE = 'Mon, 30 Nov 2026 11:59:59 GMT';
const AFTER = 'Mon, 30 Nov 2026 12:00:01 GMT';
const both = { etag: ETAG, lastModified: MODIFIED };

describe('HTTP preconditions (RFC 9110 section 13)', () => {
  it('If-Match: * and the same strong tag hold; another tag, a weak tag, or no ETag at all fail with 412', () => {
    assert.equal(evaluatePreconditions('GET', { 'if-match': '*' }, both), 'ok');
    assert.equal(evaluatePreconditions('GET', { 'if-match': ETAG }, both), 'ok');
    assert.equal(evaluatePreconditions('HEAD', { 'if-match': `"x", ${ETAG}` }, both), 'ok');
    assert.equal(evaluatePreconditions('GET', { 'if-match': '"not-the-etag"' }, both), 412);
    assert.equal(evaluatePreconditions('GET', { 'if-match': `W/${ETAG}` }, both), 412, 'strong comparison: a weak tag never matches');
    assert.equal(evaluatePreconditions('GET', { 'if-match': ETAG }, { etag: `W/${ETAG}` }), 412, 'a weak ETag never matches If-Match');
    assert.equal(evaluatePreconditions('GET', { 'if-match': ETAG }, {}), 412, 'no ETag: no tag matches');
    assert.equal(evaluatePreconditions('GET', { 'if-match': '0123abcd' }, both), 412, 'an unquoted tag is no entity tag');
    assert.equal(evaluatePreconditions('GET', { 'if-match': '"a,b", "c"' }, { etag: '"a,b"' }), 'ok', 'a comma inside a tag');
    assert.equal(evaluatePreconditions('GET', { 'if-match': '' }, both), 412);
  });

  it('If-Unmodified-Since: 412 when modified after it; ignored under If-Match, without Last-Modified, or when not a date', () => {
    assert.equal(evaluatePreconditions('GET', { 'if-unmodified-since': BEFORE }, both), 412);
    assert.equal(evaluatePreconditions('GET', { 'if-unmodified-since': AT }, both), 'ok', 'compared in whole seconds');
    assert.equal(evaluatePreconditions('GET', { 'if-unmodified-since': AFTER }, both), 'ok');
    assert.equal(evaluatePreconditions('GET', { 'if-unmodified-since': BEFORE, 'if-match': ETAG }, both), 'ok', 'If-Match wins');
    assert.equal(evaluatePreconditions('GET', { 'if-unmodified-since': AFTER, 'if-match': '"other"' }, both), 412);
    assert.equal(evaluatePreconditions('GET', { 'if-unmodified-since': BEFORE }, { etag: ETAG }), 'ok', 'no Last-Modified');
    assert.equal(evaluatePreconditions('GET', { 'if-unmodified-since': 'yesterday' }, both), 'ok', 'not an HTTP-date');
  });

  it('If-None-Match compares weakly: 304 for GET/HEAD, 412 for other methods; it goes after If-Match', () => {
    assert.equal(evaluatePreconditions('GET', { 'if-none-match': ETAG }, both), 304);
    assert.equal(evaluatePreconditions('HEAD', { 'if-none-match': `W/${ETAG}` }, both), 304);
    assert.equal(evaluatePreconditions('GET', { 'if-none-match': ETAG }, { etag: `W/${ETAG}` }), 304);
    assert.equal(evaluatePreconditions('GET', { 'if-none-match': '*' }, both), 304);
    assert.equal(evaluatePreconditions('GET', { 'if-none-match': '"other"' }, both), 'ok');
    assert.equal(evaluatePreconditions('GET', { 'if-none-match': '"0123abcd-br"' }, both), 'ok', 'another representation’s tag');
    assert.equal(evaluatePreconditions('DELETE', { 'if-none-match': ETAG }, both), 412);
    assert.equal(evaluatePreconditions('GET', { 'if-match': '"other"', 'if-none-match': ETAG }, both), 412, '412 before 304');
    assert.equal(evaluatePreconditions('GET', { 'if-unmodified-since': BEFORE, 'if-none-match': ETAG }, both), 412);
  });

  it('If-Modified-Since: 304 when not modified since, for GET/HEAD, ignored under If-None-Match', () => {
    assert.equal(evaluatePreconditions('GET', { 'if-modified-since': AT }, both), 304);
    assert.equal(evaluatePreconditions('GET', { 'if-modified-since': BEFORE }, both), 'ok');
    assert.equal(evaluatePreconditions('POST', { 'if-modified-since': AT }, both), 'ok');
    assert.equal(evaluatePreconditions('GET', { 'if-modified-since': AT, 'if-none-match': '"other"' }, both), 'ok');
    assert.equal(evaluatePreconditions('GET', { 'if-modified-since': AT }, { etag: ETAG }), 'ok');
  });

  it('If-Range holds for the same strong tag or the exact Last-Modified date only', () => {
    assert.equal(ifRangeHolds(undefined, both), true);
    assert.equal(ifRangeHolds(ETAG, both), true);
    assert.equal(ifRangeHolds(`W/${ETAG}`, both), false);
    assert.equal(ifRangeHolds('"other"', both), false);
    assert.equal(ifRangeHolds(AT, both), true);
    assert.equal(ifRangeHolds(AFTER, both), false);
    assert.equal(ifRangeHolds(AT, { etag: ETAG }), false);
  });

  it('reads the three HTTP-date forms as UTC and nothing else', () => {
    const at = Date.UTC(1994, 10, 6, 8, 49, 37) / 1000;
    assert.equal(httpDate('Sun, 06 Nov 1994 08:49:37 GMT'), at);
    assert.equal(httpDate('Sunday, 06-Nov-94 08:49:37 GMT'), at);
    assert.equal(httpDate('Sun Nov  6 08:49:37 1994'), at);
    for (const bad of ['06 Nov 1994', 'Sun, 31 Feb 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 08:49:37 PST', '784111777', '']) assert.equal(httpDate(bad), undefined, bad);
  });
});
