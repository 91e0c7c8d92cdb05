import type { RequestHead } from './reply.js';
import { ANONYMOUS, type Subject } from '../access/subject.js';
import { FerryError } from '../domain/errors.js';
import { hashPassword, verifyPassword } from '../services/passwords.js';
import { findToken, tokenExpired } from '../services/tokens.js';
import type { Stores, User } from '../store/types.js';
import { ClientAddresses } from './client-address.js';
import { FailedLoginLimiter } from './login-limiter.js';

export const BASIC_CHALLENGE = 'Basic realm="Ferry", charset="UTF-8"';

/**
 * The one place that turns an HTTP request's `Authorization` header into a Subject, for every
 * route that reads or writes a repo over HTTP — hg and git over HTTP, the web pages and their
 * raw, archive, blame, history, atom and compare views, LFS, the CDN and the REST API — so each
 * takes the same credentials (docs/sign-in.md):
 * - HTTP Basic (RFC 7617) with a token (any user name) or a user's password;
 * - `Authorization: token T` or `Bearer T` (RFC 6750) with a Ferry token, as Gitea and GitHub take them.
 * No header is anonymous (routes that also take the web session cookie ask `requestCredentials`, src/http/request-subject.ts);
 * wrong credentials are an error (401), never a silent fall-back to anonymous. An expired token
 * is told apart from a wrong one: the error says when it expired and to make a new one.
 * Credentials are checked again on every request (a removed token or user is refused on the next
 * request of a keep-alive connection). Failed attempts are limited by FailedLoginLimiter (per
 * account, per address, shared by every process); a valid token is never refused for anyone's
 * failures.
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

  /**
   * The subject of the request's `Authorization` header (see the class).
   * @throws FerryError FERRY_AUTH_REQUIRED for wrong, unknown, revoked or expired credentials or an unsupported scheme
   * @throws FerryError FERRY_RATE_LIMITED when the failed-login limiter refuses a password
   */
  async subjectOf(req: RequestHead): Promise<Subject> {
    const given = credentialsOf(req);
    if (given === undefined) return ANONYMOUS;
    if (given.kind === 'bare') {
      const found = await this.tokenSubject(given.secret);
      if (!found) throw new FerryError('FERRY_AUTH_REQUIRED', 'unknown or revoked token: make a new one with `ferry token add USER` or on your settings page (/-/settings)');
      return found;
    }
    const { name, secret } = given;
    const byToken = await this.tokenSubject(secret);
    if (byToken) return byToken;
    const user = await this.signIn(name, secret, this.clients.of(req));
    if (!user) throw new FerryError('FERRY_AUTH_REQUIRED', 'wrong user name, password or token');
    return { kind: 'user', user, readOnly: false };
  }

  /**
   * The holder of a valid token sent with HTTP Basic, `token T` or `Bearer T`, else undefined (no
   * credentials, a password, anything wrong). Counts nothing: a caller that gets undefined and
   * still needs an answer asks `subjectOf`, which checks passwords under the failed-login limiter
   * once. Throws for an expired token (FERRY_AUTH_REQUIRED, saying so).
   */
  async tokenSubjectOf(req: RequestHead): Promise<Subject | undefined> {
    const given = credentialsOf(req);
    return given === undefined ? undefined : this.tokenSubject(given.secret);
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

  private async tokenSubject(secret: string): Promise<Subject | undefined> {
    const found = await findToken(this.stores.tokens, secret);
    if (!found) return undefined;
    const { token } = found;
    if (found.expired) throw tokenExpired(token.expiresAt ?? '');
    const user = await this.stores.users.byId(token.userId);
    if (!user) return undefined;
    // Bookkeeping, best-effort: a full disk must not turn a valid token's reads into errors.
    await this.stores.tokens.touch(token.id).catch(() => {});
    return { kind: 'user', user, readOnly: token.readOnly, credential: { kind: 'token', id: token.id } };
  }
}

/**
 * The credentials of an `Authorization` header: HTTP Basic's user name and secret (RFC 7617), or a
 * bare token (`token T`, `Bearer T`); undefined without a header.
 * @throws FerryError FERRY_AUTH_REQUIRED for any other scheme or a malformed value.
 */
function credentialsOf(req: RequestHead): { kind: 'basic'; name: string; secret: string } | { kind: 'bare'; secret: string } | undefined {
  const header = req.headers.authorization;
  if (header === undefined || header === '') return undefined;
  const bare = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header);
  if (bare) return { kind: 'bare', secret: bare[1] as string };
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) throw new FerryError('FERRY_AUTH_REQUIRED', 'unsupported Authorization header: use HTTP Basic with a token or your password, or `Authorization: token T`');
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return { kind: 'basic', name: colon < 0 ? decoded : decoded.slice(0, colon), secret: colon < 0 ? '' : decoded.slice(colon + 1) };
}
