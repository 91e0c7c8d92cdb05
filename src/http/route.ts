import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * One area of the HTTP surface (`/healthz`, `/api/v1`, `/cdn`, the wire protocols, web pages).
 * `handle` answers and returns true, or returns false to let the next route look.
 */
export interface HttpRoute {
  readonly name: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}
