import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/**
 * Copies a backend's response body to the client with backpressure. With `beforeLast`, the last
 * chunk is held back until it has run: hg and git clients stop reading at the end of their own
 * protocol's stream (a bundle2 end marker, a flush packet), not at the end of the HTTP body, so
 * only withholding those final bytes makes a push return after what `beforeLast` does.
 */
export async function relayBody(source: Readable, res: ServerResponse, options: { first?: Buffer; beforeLast?: () => Promise<void> } = {}): Promise<void> {
  let held = options.first !== undefined && options.first.length > 0 ? options.first : undefined;
  const send = async (chunk: Buffer) => {
    if (res.destroyed || res.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  };
  for await (const chunk of source) {
    const buf = chunk as Buffer;
    if (buf.length === 0) continue;
    if (held) await send(held);
    held = buf;
    if (!options.beforeLast) {
      await send(held);
      held = undefined;
    }
  }
  if (options.beforeLast) await options.beforeLast();
  if (held && !res.destroyed) res.write(held);
  res.end();
}
