import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { verify } from '@octokit/webhooks-methods';

/** One request a test receiver got. */
export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The X-Hub-Signature-256 checked by @octokit/webhooks-methods against the receiver's secret. */
  readonly signatureValid: boolean;
  readonly json: Record<string, unknown>;
}

export interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  /** What the next requests are answered (status and headers); 200 by default. */
  answer: { status: number; headers?: Record<string, string> };
  /** Waits until `predicate` holds for `count` received requests (default 1). */
  waitFor(predicate: (r: Received) => boolean, count?: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** A local HTTP server that records webhook deliveries and verifies their signatures as GitHub's own library does. */
export async function startReceiver(secret: string, host = '127.0.0.1', port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const receiver: Receiver = {
    url: '',
    port: 0,
    received,
    answer: { status: 200 },
    async waitFor(predicate, count = 1, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = received.filter(predicate);
        if (matching.length >= count) return matching;
        if (Date.now() > deadline) throw new Error(`receiver got ${matching.length} of ${count} matching deliveries; all: ${JSON.stringify(received.map((r) => [r.headers['x-github-event'], r.json.ref]))}`);
        await sleep(100);
      }
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signature = String(req.headers['x-hub-signature-256'] ?? '');
      void verify(secret, body, signature)
        .catch(() => false)
        .then((signatureValid) => {
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(body) as Record<string, unknown>;
          } catch {
            /* recorded as is */
          }
          received.push({ headers: req.headers, body, signatureValid, json });
          res.writeHead(receiver.answer.status, receiver.answer.headers ?? {}).end('thanks');
        });
    });
  });
  await new Promise<void>((r) => server.listen(port, host, () => r()));
  const bound = (server.address() as AddressInfo).port;
  Object.assign(receiver, { url: `http://${host}:${bound}/hook`, port: bound });
  return receiver;
}
