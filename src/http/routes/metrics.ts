import type { Metrics } from '../../metrics/registry.js';
import type { HttpRoute } from '../route.js';

/** `GET /metrics`: Prometheus text (src/metrics/registry.ts). No repo or user names. */
export function metricsRoute(metrics: Metrics): HttpRoute {
  return {
    name: 'metrics',
    async handle(req, res, url) {
      if (url.pathname !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
      const body = await metrics.render();
      res.writeHead(200, { 'Content-Type': metrics.contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
