import type { IncomingMessage, ServerResponse } from 'node:http';
import { FerryError } from '../domain/errors.js';
import type { SafeHtml } from './html.js';
import { readSmallBody } from '../http/body.js';
import { serverTimingHeader } from '../http/server-timing.js';

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'Cache-Control': 'no-cache',
};

export function sendHtml(req: IncomingMessage, res: ServerResponse, status: number, body: SafeHtml, headers: Record<string, string | string[]> = {}): void {
  const buf = Buffer.from(body.value, 'utf8');
  res.writeHead(status, { ...PAGE_HEADERS, 'Content-Length': buf.length, ...serverTimingHeader(res), ...headers });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { Location: location, 'Content-Length': 0, 'Cache-Control': 'no-store', ...headers });
  res.end();
}

/**
 * Reads an `application/x-www-form-urlencoded` body (at most 64 KiB). The type and the declared
 * size are checked before a byte of the body is read; callers check who posts (session, origin)
 * before calling.
 * @throws FerryError FERRY_INVALID_INPUT (another type), FERRY_TOO_LARGE (over `limit`)
 */
export async function readForm(req: IncomingMessage, limit = 64 * 1024): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    throw new FerryError('FERRY_INVALID_INPUT', 'expected a form post (application/x-www-form-urlencoded)');
  }
  const body = await readSmallBody(req, limit, 'form');
  return new URLSearchParams(body.toString('utf8'));
}
