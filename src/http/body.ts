import type { IncomingMessage } from 'node:http';
import { FerryError } from '../domain/errors.js';

/**
 * Refuses, from the head alone, a body over `limit` bytes (`Content-Length`), so that nothing of
 * it is read. A chunked body is counted as it streams (`streamBody`).
 * @throws FerryError FERRY_TOO_LARGE (413)
 */
export function refuseLargeBody(req: IncomingMessage, limit: number, what: string): void {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw new FerryError('FERRY_TOO_LARGE', `${what} over ${limit} bytes`);
}

/**
 * Streams a request body through `onChunk`, a chunk at a time, keeping nothing; refuses it once
 * over `limit` bytes.
 * @throws FerryError FERRY_TOO_LARGE (413)
 */
export async function streamBody(req: IncomingMessage, limit: number, what: string, onChunk: (chunk: Buffer) => void): Promise<void> {
  refuseLargeBody(req, limit, what);
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new FerryError('FERRY_TOO_LARGE', `${what} over ${limit} bytes`);
    onChunk(chunk);
  }
}

/** A whole (small) body, read as it streams and refused once over `limit` bytes. */
export async function readSmallBody(req: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await streamBody(req, limit, what, (chunk) => chunks.push(chunk));
  return Buffer.concat(chunks);
}
