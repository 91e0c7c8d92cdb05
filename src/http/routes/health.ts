import type { HttpRoute } from '../route.js';

export function healthRoute(): HttpRoute {
  return {
    name: 'health',
    async handle(req, res, url) {
      if (url.pathname !== '/healthz') return false;
      const body = 'ok\n';
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
