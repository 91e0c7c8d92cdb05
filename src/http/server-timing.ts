import type { ServerResponse } from 'node:http';

const started = new WeakMap<ServerResponse, number>();

/** Marks when the server began working on the request `res` answers. */
export function startServerTiming(res: ServerResponse): void {
  started.set(res, performance.now());
}

/**
 * `Server-Timing: app;dur=MS` (W3C Server Timing) since `startServerTiming`, as the API sends it
 * (src/http/api/create.ts): what the benchmarks read as server time. Empty when never started.
 */
export function serverTimingHeader(res: ServerResponse): Record<string, string> {
  const t0 = started.get(res);
  return t0 === undefined ? {} : { 'Server-Timing': `app;dur=${(performance.now() - t0).toFixed(2)}` };
}
