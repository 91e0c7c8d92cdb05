import type { Readiness } from '../../health/readiness.js';
import type { HttpRoute } from '../route.js';

/**
 * `GET /healthz`: 200 `ok` while the process answers (liveness). `GET /readyz`: 200 when the
 * database answers, the repos dir is writable and every CDN worker is up, else 503; both with a
 * JSON body `{"status":"ready"|"not ready","reason"?,"checks":{…}}` (readiness, for load
 * balancers and orchestrators: send no traffic while 503).
 */
export function healthRoute(readiness?: Readiness): HttpRoute {
  return {
    name: 'health',
    async handle(req, res, url) {
      if (url.pathname === '/healthz') {
        const body = 'ok\n';
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
        return true;
      }
      if (url.pathname !== '/readyz' || readiness === undefined) return false;
      const report = await readiness.check();
      const failed = Object.entries(report.checks).filter(([, c]) => !c.ok);
      const body = `${JSON.stringify({
        status: report.ready ? 'ready' : 'not ready',
        ...(report.ready ? {} : { reason: failed.map(([name, c]) => `${name}: ${c.reason ?? 'failed'}`).join('; ') }),
        checks: report.checks,
      })}\n`;
      res.writeHead(report.ready ? 200 : 503, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
