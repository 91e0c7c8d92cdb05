/** A signed-in browser. The cookie value itself is never stored, only its SHA-256. */
export interface WebSession {
  readonly userId: number;
  /** Per-session token every form posts back (CSRF protection). */
  readonly csrf: string;
  readonly expiresAt: string;
}

export interface SessionStore {
  create(idHash: string, userId: number, csrf: string, expiresAt: Date): Promise<void>;
  /** The session if it exists and has not expired. */
  byHash(idHash: string, now: Date): Promise<WebSession | undefined>;
  remove(idHash: string): Promise<void>;
  /** Ends every session of a user (a new password), except the one `exceptIdHash` names. */
  removeForUser(userId: number, exceptIdHash?: string): Promise<void>;
  removeExpired(now: Date): Promise<void>;
}
