import { getRequestListener } from '@hono/node-server';
import { createApi, API_BASE } from '../api/create.js';
import type { App } from '../../main.js';
import type { HttpRoute } from '../route.js';

/**
 * `/api/v1/…`: the REST API (src/http/api), one Hono app mounted as one route on Ferry's server.
 * The mirror-sync webhook (`/api/v1/mirrors/PATH/sync`, mirror-webhook.ts) is asked first.
 */
export function apiRoute(app: App, sshPort: () => number = () => app.config.ssh.port): HttpRoute {
  const api = createApi(app, { sshPort });
  // overrideGlobalObjects false: the rest of the process keeps node's own Request and Response.
  const listener = getRequestListener(api.fetch, { overrideGlobalObjects: false });
  return {
    name: 'api',
    async handle(req, res, url) {
      if (url.pathname !== API_BASE && !url.pathname.startsWith(`${API_BASE}/`)) return false;
      await listener(req, res);
      return true;
    },
  };
}
