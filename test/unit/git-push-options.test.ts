import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { PushOptionsReader } from '../../src/vcs/git/push-options.js';

function pkt(line: string): Buffer {
  const body = Buffer.from(line);
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0')), body]);
}
const FLUSH = Buffer.from('0000');
const OLD = '0'.repeat(40);
const NEW = 'a'.repeat(40);

function read(chunks: readonly Buffer[], sizes = 0): readonly string[] {
  const reader = new PushOptionsReader();
  const all = Buffer.concat(chunks);
  if (sizes === 0) reader.feed(all);
  else for (let i = 0; i < all.length; i += sizes) reader.feed(all.subarray(i, i + sizes));
  return reader.options;
}

describe('PushOptionsReader', () => {
  const request = [
    pkt(`${OLD} ${NEW} refs/heads/main\0report-status push-options side-band-64k agent=git/2.39\n`),
    pkt(`${OLD} ${NEW} refs/heads/other\n`),
    FLUSH,
    pkt('ci.skip\n'),
    pkt('merge_request.title=x y\n'),
    FLUSH,
    Buffer.from('PACK\0\0\0\x02'),
  ];

  it('reads the options after the commands, whole or one byte at a time', () => {
    assert.deepEqual(read(request), ['ci.skip', 'merge_request.title=x y']);
    assert.deepEqual(read(request, 1), ['ci.skip', 'merge_request.title=x y']);
  });

  it('reads none when the client did not ask for the capability, or after shallow lines', () => {
    const without = [pkt(`${OLD} ${NEW} refs/heads/main\0report-status\n`), FLUSH, Buffer.from('PACK')];
    assert.deepEqual(read(without), []);
    assert.deepEqual(read([pkt(`shallow ${NEW}\n`), ...request]), ['ci.skip', 'merge_request.title=x y']);
  });

  it('finds the options after a signed push certificate', () => {
    const signed = [
      pkt(`push-cert\0report-status push-options\n`),
      pkt('certificate version 0.1\n'),
      pkt('\n'),
      pkt(`${OLD} ${NEW} refs/heads/main\n`),
      pkt('push-cert-end\n'),
      FLUSH,
      pkt('o1\n'),
      FLUSH,
    ];
    assert.deepEqual(read(signed), ['o1']);
  });

  it('gives up on garbage without throwing', () => {
    assert.deepEqual(read([Buffer.from('zzzz not a pkt-line')]), []);
  });
});
