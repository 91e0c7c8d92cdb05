import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type ssh2 from 'ssh2';
import { ConflictError, InvalidInputError } from './errors.js';

/** Key algorithms Ferry accepts (RSA keys must sign with SHA-2; the SSH server enforces that). */
export const ACCEPTED_KEY_TYPES = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
] as const;
export type KeyType = (typeof ACCEPTED_KEY_TYPES)[number];

export interface PublicKey {
  readonly type: KeyType;
  /** The key in SSH wire format (what a client presents during authentication). */
  readonly blob: Buffer;
  /** `SHA256:…` exactly as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string;
  readonly comment: string;
}

export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function publicKeyFromBlob(type: string, blob: Buffer, comment = ''): PublicKey {
  if (!isAcceptedType(type)) {
    throw new InvalidInputError(`SSH key type ${type} is not accepted; use ed25519, ecdsa or rsa`, 'FERRY_INVALID_KEY');
  }
  return { type, blob, fingerprint: fingerprintOf(blob), comment };
}

function isAcceptedType(type: string): type is KeyType {
  return (ACCEPTED_KEY_TYPES as readonly string[]).includes(type);
}

/** Parses one public key line; `authorized_keys` options before the key type are skipped. */
export function parsePublicKeyLine(line: string, lineNumber?: number): PublicKey {
  const where = lineNumber === undefined ? '' : ` (line ${lineNumber})`;
  const tokens = tokenize(line.trim());
  const typeIndex = tokens.findIndex((t) => isAcceptedType(t) || /^(ssh-|ecdsa-|sk-)/.test(t));
  if (typeIndex < 0 || typeIndex + 1 >= tokens.length) {
    throw new InvalidInputError(
      `not an OpenSSH public key${where}: expected "ssh-ed25519 AAAA... comment" (the contents of a .pub file)`,
      'FERRY_INVALID_KEY',
    );
  }
  const type = tokens[typeIndex] as string;
  if (!isAcceptedType(type)) {
    throw new InvalidInputError(`SSH key type ${type} is not accepted${where}; use ed25519, ecdsa or rsa`, 'FERRY_INVALID_KEY');
  }
  const base64 = tokens[typeIndex + 1] as string;
  const comment = tokens.slice(typeIndex + 2).join(' ');
  const parsed = loadSsh2().utils.parseKey(`${type} ${base64}`);
  if (parsed instanceof Error || Array.isArray(parsed)) {
    throw new InvalidInputError(`SSH public key${where} is damaged: ${parsed instanceof Error ? parsed.message : 'several keys'}`, 'FERRY_INVALID_KEY');
  }
  const blob = parsed.getPublicSSH();
  if (parsed.type !== type) {
    throw new InvalidInputError(`SSH public key${where} says ${type} but holds a ${parsed.type} key`, 'FERRY_INVALID_KEY');
  }
  return { type, blob, fingerprint: fingerprintOf(blob), comment };
}

/** Parses a whole `authorized_keys`-style text: blank lines and `#` comments are skipped. */
export function parsePublicKeys(text: string): PublicKey[] {
  const keys: PublicKey[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    keys.push(parsePublicKeyLine(trimmed, i + 1));
  });
  if (keys.length === 0) {
    throw new InvalidInputError('no public key found: give the contents of a .pub or authorized_keys file', 'FERRY_INVALID_KEY');
  }
  return keys;
}

export function formatPublicKey(key: PublicKey): string {
  return `${key.type} ${key.blob.toString('base64')}${key.comment ? ` ${key.comment}` : ''}`;
}

/** Splits on spaces outside double quotes (authorized_keys options may quote spaces). */
function tokenize(line: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === '\\' && quoted && i + 1 < line.length) {
      current += c + (line[++i] as string);
    } else if (c === '"') {
      quoted = !quoted;
      current += c;
    } else if ((c === ' ' || c === '\t') && !quoted) {
      if (current !== '') tokens.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current !== '') tokens.push(current);
  return tokens;
}

/**
 * The refusal for a key that is registered already (to anyone: a user, or a repo as a deploy key).
 * It never says whose: that would tell whoever holds a copy of a public key who uses it and where.
 */
export function keyInUseError(fingerprint: string, outcome = 'nothing was added'): ConflictError {
  return new ConflictError(
    `key ${fingerprint} is already in use (each key identifies one user or one deploy key); ${outcome}: make a new key with ssh-keygen`,
    'FERRY_KEY_EXISTS',
    { fingerprint },
  );
}

/** ssh2 (its key parser), loaded by the first key parsed: `ferry user list` and most admin commands parse none. */
function loadSsh2(): typeof ssh2 {
  return createRequire(import.meta.url)('ssh2') as typeof ssh2;
}
