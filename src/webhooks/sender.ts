import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { DeliveryAttempt } from '../store/types.js';
import type { TargetPolicy } from './target-policy.js';

/** Bytes of an answer's body kept with the delivery. */
export const RESPONSE_BODY_LIMIT = 16 * 1024;

/** What one POST gave, and whether trying again may help (network errors, timeouts, 5xx). */
export interface SendResult extends DeliveryAttempt {
  readonly ok: boolean;
  readonly retryable: boolean;
}

class RefusedAddress extends Error {}

/**
 * A DNS lookup that refuses every answer `policy` does not allow, so the check is made on the
 * address the socket then connects to (no second resolution an attacker's DNS could answer
 * differently: DNS rebinding). Every address of a name must pass, whichever the socket tries.
 */
function guardedLookup(policy: TargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      for (const a of addresses) {
        const refusal = policy.refusal(hostname, a.address);
        if (refusal) return callback(new RefusedAddress(refusal), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      return callback(null, first.address, first.family);
    });
  };
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * POSTs `body` to `url` once. Redirects are not followed (a 3xx is a failed delivery that is not
 * retried: following it could lead anywhere). The whole exchange is bounded by `timeoutMs`.
 * An IP literal is checked against `policy` before connecting; a name on the address DNS gave.
 * Never throws: every outcome is a SendResult to record.
 */
export async function sendDelivery(url: string, body: string, headers: Record<string, string>, options: { policy: TargetPolicy; timeoutMs: number }): Promise<SendResult> {
  const started = Date.now();
  const requestHeaders = { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  const done = (r: Omit<SendResult, 'requestHeaders' | 'durationMs'>): SendResult => ({ ...r, requestHeaders: headers, durationMs: Date.now() - started });
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return done({ ok: false, retryable: false, responseStatus: null, responseHeaders: null, responseBody: null, error: 'the hook URL is not a URL' });
  }
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(literal)) {
    const refusal = options.policy.refusal(literal, literal);
    if (refusal) return done({ ok: false, retryable: false, responseStatus: null, responseHeaders: null, responseBody: null, error: `refused: ${refusal}` });
  }
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const requestOptions: RequestOptions = {
    method: 'POST',
    headers: requestHeaders,
    lookup: guardedLookup(options.policy),
    signal: AbortSignal.timeout(options.timeoutMs),
    agent: false,
  };
  return new Promise<SendResult>((resolve) => {
    const req = request(target, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept < RESPONSE_BODY_LIMIT) {
          chunks.push(chunk.subarray(0, RESPONSE_BODY_LIMIT - kept));
          kept += Math.min(chunk.length, RESPONSE_BODY_LIMIT - kept);
        }
      });
      res.on('error', (err) => resolve(failure(err)));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        const redirect = status >= 300 && status < 400;
        resolve(
          done({
            ok,
            retryable: status >= 500,
            responseStatus: status,
            responseHeaders: flatHeaders(res.headers),
            responseBody: Buffer.concat(chunks).toString('utf8'),
            error: ok ? null : redirect ? `answered ${status} (redirects are not followed${res.headers.location ? `: ${res.headers.location}` : ''})` : `answered ${status}`,
          }),
        );
      });
    });
    const failure = (err: Error): SendResult => {
      const refused = err instanceof RefusedAddress;
      const timedOut = err.name === 'AbortError' || err.name === 'TimeoutError';
      const message = refused ? `refused: ${err.message}` : timedOut ? `no answer within ${options.timeoutMs} ms` : err.message;
      return done({ ok: false, retryable: !refused, responseStatus: null, responseHeaders: null, responseBody: null, error: message });
    };
    req.on('error', (err) => resolve(failure(err)));
    req.end(body);
  });
}
