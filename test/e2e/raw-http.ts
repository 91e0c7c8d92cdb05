/** Raw HTTP/1.1 on a socket, for tests of what node's client would not send or would hide. */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { connect } from 'node:net';

/** Sends `raw` on one connection (its last request asks to close) and reads until the server closes it. */
export async function exchange(port: number, raw: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(raw);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'close');
  return Buffer.concat(chunks).toString('latin1');
}

/** Splits a byte stream of HTTP/1.1 responses (Content-Length framed; HEAD answers named in `heads`). */
export function splitResponses(stream: string, heads: readonly number[] = []): { status: number; headers: Map<string, string>; body: string }[] {
  const out: { status: number; headers: Map<string, string>; body: string }[] = [];
  let rest = stream;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    assert.ok(end > 0, `a response head in ${JSON.stringify(rest.slice(0, 200))}`);
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
    const length = heads.includes(out.length) ? 0 : Number(headers.get('content-length') ?? 0);
    out.push({ status: Number(statusLine?.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}
