import { createSharedFileOnce } from '../storage/shared-files.js';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { FerryError } from '../domain/errors.js';

const VERSION = 'v1';

/**
 * Seals mirror credentials and webhook secrets with AES-256-GCM. The key never enters the
 * database: it comes from FERRY_MIRRORS_KEY ([mirrors] key, base64 of 32 bytes) or from a key
 * file in the data dir created 0600 on first use. `context` binds a sealed value to its row.
 */
export class SecretBox {
  private key: Buffer | undefined;

  constructor(
    private readonly keyFile: string,
    private readonly configuredKey: string,
  ) {}

  seal(plain: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.loadKey(), iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  open(sealed: string, context: string): string {
    const [version, data] = sealed.split(':');
    if (version !== VERSION || data === undefined) throw new FerryError('FERRY_CONFIG', 'a stored mirror secret has an unknown format');
    const raw = Buffer.from(data, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.loadKey(), raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new FerryError(
        'FERRY_CONFIG',
        `cannot decrypt a stored mirror secret: the mirrors key changed (FERRY_MIRRORS_KEY or ${this.keyFile}); restore it, or set the mirror up again`,
        { cause: err },
      );
    }
  }

  private loadKey(): Buffer {
    if (this.key) return this.key;
    if (this.configuredKey !== '') {
      const key = Buffer.from(this.configuredKey, /^[0-9a-fA-F]{64}$/.test(this.configuredKey) ? 'hex' : 'base64');
      if (key.length !== 32) throw new FerryError('FERRY_CONFIG', 'FERRY_MIRRORS_KEY must be 32 bytes, base64 or hex (e.g. `openssl rand -base64 32`)');
      this.key = key;
      return key;
    }
    if (!existsSync(this.keyFile)) {
      mkdirSync(dirname(this.keyFile), { recursive: true, mode: 0o700 });
      chmodSync(dirname(this.keyFile), 0o700);
    }
    // Shared by every node on this data dir: created whole, once (src/storage/shared-files.ts).
    const key = Buffer.from(createSharedFileOnce(this.keyFile, () => `${randomBytes(32).toString('base64')}\n`).trim(), 'base64');
    if (key.length !== 32) throw new FerryError('FERRY_CONFIG', `${this.keyFile} must hold 32 bytes in base64`);
    this.key = key;
    return key;
  }
}
