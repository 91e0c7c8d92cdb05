/**
 * The one error registry. Every error Ferry raises on purpose is a FerryError with a stable
 * `code`; each edge (CLI, SSH, HTTP) turns it into an exit code, a message or a status.
 */
export const ERROR_CODES = {
  FERRY_USAGE: 'The command line is malformed; the message says what was expected.',
  FERRY_INVALID_INPUT: 'A value given by the user is not valid (a name, a path, a duration, a key).',
  FERRY_INVALID_REPO_PATH: 'A repository path breaks the path rules (segments [A-Za-z0-9._-]+, none starting with . or -).',
  FERRY_INVALID_KEY: 'An SSH public key line could not be parsed or uses an algorithm Ferry does not accept.',
  FERRY_CONFIG: 'ferry.toml or a FERRY_* environment variable holds an invalid setting.',
  FERRY_USER_EXISTS: 'A user with that name already exists.',
  FERRY_USER_NOT_FOUND: 'No user has that name.',
  FERRY_NAMESPACE_TAKEN: 'Repositories already exist under NAME/; a new user of that name would own them, so the name is refused.',
  FERRY_LAST_ADMIN: 'The only admin cannot be removed or lose admin rights; make another user an admin first.',
  FERRY_KEY_EXISTS: 'That SSH key is already registered (to a user or as a deploy key).',
  FERRY_KEY_NOT_FOUND: 'No key with that fingerprint belongs to that user or repository.',
  FERRY_REPO_EXISTS: 'A repository already exists at that path, or the path is inside or above one.',
  FERRY_REPO_NOT_FOUND: 'No repository at that path, or the caller may not see it.',
  FERRY_REPO_MOVED: 'The repository was moved (ferry repo mv); the message and data.to name its new path. Only said to those who may read it.',
  FERRY_ACCESS_DENIED: 'The caller is known but may not do this.',
  FERRY_AUTH_REQUIRED: 'The caller must sign in first.',
  FERRY_RATE_LIMITED: 'Too many failed attempts; wait before trying again.',
  FERRY_COMMAND_REFUSED: 'An SSH command is not one Ferry runs; nothing was spawned.',
  FERRY_TOKEN_NOT_FOUND: 'No token with that id belongs to that user.',
  FERRY_VCS_FAILED: 'A hg or git process failed; the message carries its last words.',
  FERRY_UNSAFE_URL: 'An import URL could run code or reach outside what is allowed.',
  FERRY_UNSAFE_HOOK_URL: 'A webhook URL is not http(s), or reaches a loopback, private, link-local or metadata address that [webhooks] allowed_hosts does not allow.',
  FERRY_HOOK_NOT_FOUND: 'No webhook or delivery with that id belongs to that repository.',
  FERRY_IMPORT_FAILED: 'An import or mirror sync failed; the message says why.',
  FERRY_VERIFY_FAILED: 'An imported copy differs from its source.',
  FERRY_MIRROR_READ_ONLY: 'The repository is a pull mirror; it only changes by syncing.',
  FERRY_NOT_FOUND: 'The thing asked for does not exist.',
  FERRY_TOO_LARGE: 'A file or request is over a configured size limit.',
  FERRY_FILE_TOO_LARGE: 'A file is over the CDN\'s size limit ([cdn] max_file_size); clone the repository to get it.',
  FERRY_SHUTTING_DOWN: 'The server is stopping and accepts no new work.',
  FERRY_DISK_FULL: 'The disk holding the data dir is (nearly) full: writes are refused, reads go on.',
  FERRY_BACKUP_CORRUPT: 'A backup archive is damaged (a SHA-256 differs from its manifest, or it is truncated) or is not a Ferry backup; nothing was restored.',
  FERRY_RESTORE_TARGET_NOT_EMPTY: '`ferry restore` was pointed at a data dir that holds files; restore into a new, empty directory.',
  FERRY_LOCK_TIMEOUT: 'Another Ferry process held a repository\'s lock (a push, housekeeping, an import, a move) for longer than a command waits; try again when it is done.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { data?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.data = Object.freeze({ ...(options.data ?? {}) });
  }
}

/** The command line itself is wrong (exit 2 at the CLI edge). */
export class UsageError extends FerryError {
  constructor(message: string) {
    super('FERRY_USAGE', message);
  }
}

export class InvalidInputError extends FerryError {
  constructor(message: string, code: ErrorCode = 'FERRY_INVALID_INPUT', data: Record<string, unknown> = {}) {
    super(code, message, { data });
  }
}

export class NotFoundError extends FerryError {
  constructor(message: string, code: ErrorCode = 'FERRY_NOT_FOUND', data: Record<string, unknown> = {}) {
    super(code, message, { data });
  }
}

export class ConflictError extends FerryError {
  constructor(message: string, code: ErrorCode, data: Record<string, unknown> = {}) {
    super(code, message, { data });
  }
}

/**
 * A repo was moved away from `from` to `to` (`ferry repo mv`). HTTP answers 301 to the same URL
 * under `to`; SSH prints `ferry: FROM moved to TO`. Thrown only to a subject who may read `to`.
 */
export class RepoMovedError extends FerryError {
  constructor(from: string, to: string) {
    super('FERRY_REPO_MOVED', `${from} moved to ${to}`, { data: { from, to } });
  }
}

export class AccessDeniedError extends FerryError {
  constructor(message: string, code: ErrorCode = 'FERRY_ACCESS_DENIED', data: Record<string, unknown> = {}) {
    super(code, message, { data });
  }
}

export class CommandRefusedError extends FerryError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('FERRY_COMMAND_REFUSED', message, { data });
  }
}

export function isFerryError(err: unknown): err is FerryError {
  return err instanceof FerryError;
}

/** A one-line description of any thrown value, for logs and edges. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}
