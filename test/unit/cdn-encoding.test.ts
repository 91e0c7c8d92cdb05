import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { chooseEncoding } from '../../src/cdn/respond.js';

describe('CDN: the encoding an Accept-Encoding value gets (RFC 9110 section 12.5.3)', () => {
  it('takes the coding with the higher weight, br on a tie, none when both are refused', () => {
    const cases: [string | undefined, string | undefined][] = [
      [undefined, undefined],
      ['', undefined],
      ['identity', undefined],
      ['gzip, deflate, br, zstd', 'br'],
      ['gzip, deflate', 'gzip'],
      ['x-gzip', 'gzip'],
      ['gzip;q=1, br;q=0.1', 'gzip'],
      ['gzip;q=0.5, br;q=0.4', 'gzip'],
      ['gzip;q=0.5, br;q=0.5', 'br'],
      ['br;q=0, gzip', 'gzip'],
      ['br;q=0, gzip;q=0', undefined],
      ['br ;q=1', 'br'],
      ['BR; Q=0.8 , gzip ; q=0.9', 'gzip'],
      ['*', 'br'],
      ['*;q=0.3, gzip;q=0.5', 'gzip'],
      ['*;q=0', undefined],
      ['gzip;q=0.2, *;q=0.1', 'gzip'],
    ];
    for (const [accept, expected] of cases) assert.equal(chooseEncoding(accept), expected, String(accept));
  });
});
