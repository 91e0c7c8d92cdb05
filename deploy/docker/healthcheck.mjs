#!/usr/bin/env node
// The container's HEALTHCHECK: exits 0 when GET /healthz on this container's HTTP port answers
// 200 within 5 s, 1 otherwise (Docker/podman mark the container unhealthy after retries).
// The port is FERRY_HTTP_PORT (8080 by default); TLS when FERRY_HTTP_TLS_CERT is set.
const port = Number(process.env.FERRY_HTTP_PORT || 8080);
const scheme = process.env.FERRY_HTTP_TLS_CERT ? 'https' : 'http';
if (scheme === 'https') process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
try {
  const res = await fetch(`${scheme}://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) });
  process.exitCode = res.status === 200 ? 0 : 1;
  if (res.status !== 200) console.error(`ferry healthcheck: /healthz answered ${res.status}`);
} catch (err) {
  console.error(`ferry healthcheck: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
