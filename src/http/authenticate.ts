import type { RequestHead } from './reply.js';
import { ANONYMOUS, type Subject } from '../access/subject.js';
import { FerryError } from '../domain/errors.js';
import { verifyPassword } from '../services/passwords.js';
import { lookupToken } from '../services/tokens.js';
import type { Stores } from '../store/types.js';
import { ClientAddresses } from './client-address.js';
import { FailedLoginLimiter } from './login-limiter.js';

export const BASIC_CHALLENGE = 'Basic realm="Ferry", charset="UTF-8"';

/**
 * Turns an HTTP request's credentials into a Subject: HTTP Basic with a token (any user name)
 * or a user's password. No credentials is anonymous; wrong credentials is an error (401), never
 * a silent fall-back to anonymous. Failed attempts are rate-limited per client address.
 */
export class HttpAuthenticator {
  constructor(
    private readonly stores: Pick<Stores, 'users' | 'tokens'>,
    /** Shared with the web sign-in form: one failed-login count per address for all of HTTP. */
    readonly limiter: FailedLoginLimiter = new FailedLoginLimiter(),
    readonly clients: ClientAddresses = new ClientAddresses(),
  ) {}

  async subjectOf(req: RequestHead): Promise<Subject> {
    const header = req.headers.authorization;
    if (header === undefined || header === '') return ANONYMOUS;
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!m) throw new FerryError('FERRY_AUTH_REQUIRED', 'unsupported Authorization header: use HTTP Basic with a token or your password');
    const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const name = colon < 0 ? decoded : decoded.slice(0, colon);
    const secret = colon < 0 ? '' : decoded.slice(colon + 1);
    const client = this.clients.of(req);
    this.limiter.check(client);
    const subject = await this.verify(name, secret);
    if (!subject) {
      this.limiter.fail(client);
      throw new FerryError('FERRY_AUTH_REQUIRED', 'wrong user name, password or token');
    }
    this.limiter.succeed(client);
    return subject;
  }

  private async verify(name: string, secret: string): Promise<Subject | undefined> {
    const token = await lookupToken(this.stores.tokens, secret);
    if (token) {
      const user = await this.stores.users.byId(token.userId);
      if (!user) return undefined;
      // Bookkeeping, best-effort: a full disk must not turn a valid token's reads into errors.
      await this.stores.tokens.touch(token.id).catch(() => {});
      return { kind: 'user', user, readOnly: token.readOnly };
    }
    const user = await this.stores.users.byName(name);
    if (!user) return undefined;
    return (await verifyPassword(secret, await this.stores.users.passwordHash(user.id))) ? { kind: 'user', user, readOnly: false } : undefined;
  }
}
