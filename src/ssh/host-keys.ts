import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import ssh2 from 'ssh2';

/** One host key per algorithm family; RSA only for clients that know nothing newer. */
const HOST_KEYS = [
  { file: 'ssh_host_ed25519_key', type: 'ed25519', opts: {} },
  { file: 'ssh_host_ecdsa_key', type: 'ecdsa', opts: { bits: 256 } },
  { file: 'ssh_host_rsa_key', type: 'rsa', opts: { bits: 3072 } },
] as const;

/**
 * Loads the server's host keys from `sshDir`, generating the missing ones on first start. Keys are
 * written once (link from a temp file, so two starts never race into different keys) and reused.
 */
export async function loadHostKeys(sshDir: string): Promise<Buffer[]> {
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  chmodSync(sshDir, 0o700);
  const generate = promisify(ssh2.utils.generateKeyPair) as (type: string, opts: object) => Promise<{ private: string; public: string }>;
  // Generated in parallel off the main thread: RSA alone can take seconds.
  return Promise.all(HOST_KEYS.map(async ({ file, type, opts }) => {
    const path = join(sshDir, file);
    if (!existsSync(path)) {
      const pair = await generate(type, { ...opts, comment: 'ferry host key' });
      const temp = `${path}.${process.pid}.tmp`;
      writeFileSync(temp, pair.private, { mode: 0o600 });
      try {
        linkSync(temp, path);
        writeFileSync(`${path}.pub`, `${pair.public}\n`, { mode: 0o644 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      } finally {
        rmSync(temp, { force: true });
      }
    }
    return readFileSync(path);
  }));
}
