import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { decodeBytes, decodeUrlSegment, displayName, encodeBytes, encodeUrlPath, searchParam } from '../../src/domain/byte-names.js';
import { parseDiff } from '../../src/web/diff.js';
import { contentDisposition } from '../../src/http/content-disposition.js';

describe('names that are not UTF-8 (byte-names)', () => {
  it('keeps every byte sequence through decode and encode', () => {
    const samples = [Buffer.from('caf\xe9.txt', 'latin1'), Buffer.from('café €𝄞', 'utf8'), Buffer.from([0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xff, 0x41, 0xf4, 0x90, 0x80, 0x80, 0xe2, 0x82])];
    for (let i = 0; i < 256; i++) samples.push(Buffer.from([0x61, i, 0x62]));
    for (const bytes of samples) assert.deepEqual(encodeBytes(decodeBytes(bytes)), bytes, bytes.toString('hex'));
    assert.equal(decodeBytes(Buffer.from('café', 'utf8')), 'café');
  });

  it('shows U+FFFD, percent-encodes the bytes and reads them back from a URL', () => {
    const name = decodeBytes(Buffer.from('d\xeer/caf\xe9 x.txt', 'latin1'));
    assert.equal(displayName(name), 'd\ufffdr/caf\ufffd x.txt');
    assert.equal(encodeUrlPath(name), 'd%EEr/caf%E9%20x.txt');
    assert.equal(encodeUrlPath('dé/ü'), 'd%C3%A9/%C3%BC');
    assert.equal(encodeUrlPath(name).split('/').map(decodeUrlSegment).join('/'), name);
    assert.equal(decodeUrlSegment('caf%C3%A9'), 'café');
    assert.throws(() => decodeUrlSegment('caf%E'), URIError);
    assert.equal(searchParam('?a=1&ref=caf%E9&b=x+y', 'ref'), decodeBytes(Buffer.from('caf\xe9', 'latin1')));
    assert.equal(searchParam('?b=x+y', 'b'), 'x y');
    assert.equal(searchParam('?b=1', 'ref'), null);
  });

  it('unquotes git C-quoted paths in diffs into their bytes', () => {
    const files = parseDiff('diff --git "a/caf\\351.txt" "b/caf\\351.txt"\nnew file mode 100644\n--- /dev/null\n+++ "b/caf\\351.txt"\n@@ -0,0 +1 @@\n+x\ndiff --git a/q"uo b/q"uo\n');
    assert.equal(files[0]?.newPath, decodeBytes(Buffer.from('caf\xe9.txt', 'latin1')));
    assert.equal(files[0]?.oldPath, decodeBytes(Buffer.from('caf\xe9.txt', 'latin1')));
    const quoted = parseDiff('diff --git "a/t\\"ab\\tc" "b/t\\"ab\\tc"\n');
    assert.equal(quoted[0]?.newPath, 't"ab\tc');
  });

  it('Content-Disposition stays ASCII with an RFC 5987 filename*', () => {
    assert.equal(contentDisposition('inline', decodeBytes(Buffer.from('caf\xe9.txt', 'latin1'))), `inline; filename="caf_.txt"; filename*=UTF-8''caf%EF%BF%BD.txt`);
    assert.equal(contentDisposition('attachment', 'a"b\\c\r\n(1)*.txt'), `attachment; filename="a_b_c__(1)*.txt"; filename*=UTF-8''a%22b%5Cc%0D%0A%281%29%2A.txt`);
  });
});
