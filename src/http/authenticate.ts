import type { RequestHead } from './reply.js';
import { ANONYMOUS, type Subject } from '../access/subject.js';
import { FerryError } from '../domain/errors.js';
import { hashPassword, verifyPassword } from '../services/passwords.js';
import { lookupToken } from '../services/tokens.js';
import type { Stores, User } from '../store/types.js';
import { ClientAddresses } from './client-address.js';
import { FailedLoginLimiter } from './login-limiter.js';

export const BASIC_CHALLENGE = 'Basic realm="Ferry", charset="UTF-8"';

/**
 * Turns an HTTP request's credentials into a Subject: HTTP Basic with a token (any user name)
 * or a user's password. No credentials is anonymous; wrong credentials is an error (401), never
 * a silent fall-back to anonymous. Credentials are checked again on every request (a removed
 * token or user is refused on the next request of a keep-alive connection). Failed attempts are
 * limited by FailedLoginLimiter (per account, per address, shared by every process); a valid
 * token is never refused for anyone's failures.
 */
export class HttpAuthenticator {
  /** A hash to check wrong passwords of unknown users against, so they take as long as known ones. */
  private decoy: Promise<string> | undefined;

  constructor(
    private readonly stores: Pick<Stores, 'users' | 'tokens'>,
    /** Shared with the web sign-in form and, through the database, with the CDN worker processes. */
    readonly limiter: FailedLoginLimiter = FailedLoginLimiter.inMemory(),
    readonly clients: ClientAddresses = new ClientAddresses(),
  ) {}

  async subjectOf(req: RequestHead): Promise<Subject> {
    const basic = basicCredentials(req);
    if (basic === undefined) return ANONYMOUS;
    const { name, secret } = basic;
    const byToken = await this.tokenSubject(secret);
    if (byToken) return byToken;
    const user = await this.signIn(name, secret, this.clients.of(req));
    if (!user) throw new FerryError('FERRY_AUTH_REQUIRED', 'wrong user name, password or token');
    return { kind: 'user', user, readOnly: false };
  }

  /**
   * The holder of a valid token sent with HTTP Basic, else undefined (no credentials, a password,
   * anything wrong). Counts nothing: a caller that gets undefined and still needs an answer asks
   * `subjectOf`, which checks passwords under the failed-login limiter once.
   */
  async tokenSubjectOf(req: RequestHead): Promise<Subject | undefined> {
    const basic = basicCredentials(req);
    return basic === undefined ? undefined : this.tokenSubject(basic.secret);
  }

  /**
   * Checks a user name and password (HTTP Basic, the web sign-in form), limited by the failed-login
   * limiter: throws FerryError FERRY_RATE_LIMITED when this attempt may not be evaluated; returns
   * undefined for wrong credentials (after the same time whether or not the user exists).
   */
  async signIn(name: string, password: string, address: string): Promise<User | undefined> {
    const attempt = { account: name, address };
    await this.limiter.check(attempt);
    const user = await this.stores.users.byName(name);
    const stored = user ? await this.stores.users.passwordHash(user.id) : null;
    const ok = await verifyPassword(password, stored ?? (await (this.decoy ??= hashPassword('no user has this password; it only spends the time a check takes'))));
    if (!user || stored === null || !ok) {
      await this.limiter.fail(attempt);
      return undefined;
    }
    await this.limiter.succeed(attempt);
    return user;
  }

  /**
   * The holder of a token given on its own (`Authorization: token T` or `Bearer T`, as Gitea and
   * GitHub take them), else undefined. Tokens are 24 random bytes, so no limiter is needed.
   */
  tokenSubjectFor(secret: string): Promise<Subject | undefined> {
    return this.tokenSubject(secret);
  }

  private async tokenSubject(secret: string): Promise<Subject | undefined> {
    const token = await lookupToken(this.stores.tokens, secret);
    if (!token) return undefined;
    const user = await this.stores.users.byId(token.userId);
    if (!user) return undefined;
    // Bookkeeping, best-effort: a full disk must not turn a valid token's reads into errors.
    await this.stores.tokens.touch(token.id).catch(() => {});
    return { kind: 'user', user, readOnly: token.readOnly, credential: { kind: 'token', id: token.id } };
  }
}

/**
 * The user name and secret of an `Authorization: Basic` header (RFC 7617), undefined without one.
 * @throws FerryError FERRY_AUTH_REQUIRED for any other scheme or a malformed value.
 */
function basicCredentials(req: RequestHead): { name: string; secret: string } | undefined {
  const header = req.headers.authorization;
  if (header === undefined || header === '') return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) throw new FerryError('FERRY_AUTH_REQUIRED', 'unsupported Authorization header: use HTTP Basic with a token or your password');
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return { name: colon < 0 ? decoded : decoded.slice(0, colon), secret: colon < 0 ? '' : decoded.slice(colon + 1) };
}
