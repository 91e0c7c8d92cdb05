import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { HgSshCommandTap } from '../../src/metrics/hg-ssh-commands.js';

function arg(name: string, value: string): string {
  return `${name} ${Buffer.byteLength(value)}\n${value}`;
}

function tapOf(...chunks: string[]): HgSshCommandTap {
  const tap = new HgSshCommandTap();
  for (const c of chunks) tap.feed(Buffer.from(c, 'latin1'));
  return tap;
}

describe('hg SSH command tap (for /metrics)', () => {
  const hello = `hello\nbetween\n${arg('pairs', `${'0'.repeat(40)}-${'0'.repeat(40)}`)}`;
  it('sees a getbundle after hello, between and a batch whose argument holds a command name', () => {
    const batch = `batch\n* 0\n${arg('cmds', 'heads ;known nodes=\ngetbundle\n')}`;
    assert.deepEqual(tapOf(hello, batch).transfers(), []);
    const tap = tapOf(hello, batch, `getbundle\n* 2\n${arg('heads', 'a'.repeat(40))}${arg('common', '0'.repeat(40))}`);
    assert.deepEqual(tap.transfers(), ['clone']);
  });

  it('sees unbundle and reads no further (the bundle follows)', () => {
    const tap = tapOf(hello, `unbundle\n${arg('heads', 'force')}`, '4096\nstream_out\ngetbundle\n');
    assert.deepEqual(tap.transfers(), ['push']);
  });

  it('follows arguments split across chunks, one byte at a time', () => {
    const all = `${hello}getbundle\n* 1\n${arg('heads', 'b'.repeat(40))}`;
    const tap = new HgSshCommandTap();
    for (const ch of all) tap.feed(Buffer.from(ch, 'latin1'));
    assert.deepEqual(tap.transfers(), ['clone']);
  });

  it('stops at anything that is not the framing', () => {
    assert.deepEqual(tapOf('GET / HTTP/1.1\ngetbundle\n').transfers(), []);
  });
});
