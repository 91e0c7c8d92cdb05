import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Subject } from '../access/subject.js';
import type { SignedIn } from '../http/session-subject.js';
import type { App } from '../main.js';
import type { StaticAsset } from './static.js';

/** Everything a page needs about the request and the server. */
export interface PageContext {
  readonly app: App;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly subject: Subject;
  readonly signedIn: SignedIn | undefined;
  /** The public URL of the HTTP server, without a trailing slash. */
  readonly baseUrl: string;
  readonly sshPort: number;
  readonly assets: { readonly css: StaticAsset; readonly js: StaticAsset };
}
