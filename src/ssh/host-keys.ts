import { tempNameFor } from '../storage/shared-files.js';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import ssh2 from 'ssh2';

/** One host key per algorithm family; RSA only for clients that know nothing newer. */
const HOST_KEYS = [
  { file: 'ssh_host_ed25519_key', type: 'ed25519', opts: {} },
  { file: 'ssh_host_ecdsa_key', type: 'ecdsa', opts: { bits: 256 } },
  { file: 'ssh_host_rsa_key', type: 'rsa', opts: { bits: 3072 } },
] as const;

/** Attempts at a key pair ssh2 can read back before giving up. */
const GENERATE_ATTEMPTS = 8;

export type KeyPairGenerator = (type: string, opts: object) => Promise<{ private: string; public: string }>;

const ssh2Generate = promisify(ssh2.utils.generateKeyPair) as KeyPairGenerator;

/**
 * Loads the server's host keys from `sshDir`, generating the missing ones on first start. Keys are
 * written once (link from a temp file, so two starts never race into different keys) and reused.
 *
 * ssh2's generator makes a key it cannot parse about once in 256 ed25519 keys (it strips a leading
 * zero byte too many: mscdex/ssh2#1513), and a server with such a host key never starts. So every
 * new pair is parsed back before it is kept, and a stored key that does not parse (one written by
 * an earlier Ferry; no client can have seen it) is set aside and made again.
 */
export async function loadHostKeys(sshDir: string, generate: KeyPairGenerator = ssh2Generate): Promise<Buffer[]> {
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  chmodSync(sshDir, 0o700);
  // Generated in parallel off the main thread: RSA alone can take seconds.
  return Promise.all(
    HOST_KEYS.map(async ({ file, type, opts }) => {
      const path = join(sshDir, file);
      if (existsSync(path) && !parses(readFileSync(path))) renameSync(path, `${path}.unreadable`);
      if (!existsSync(path)) {
        const pair = await readablePair(generate, type, opts);
        const temp = tempNameFor(path);
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
    }),
  );
}

async function readablePair(generate: KeyPairGenerator, type: string, opts: object): Promise<{ private: string; public: string }> {
  for (let attempt = 1; ; attempt++) {
    const pair = await generate(type, { ...opts, comment: 'ferry host key' });
    if (parses(pair.private) && parses(pair.public)) return pair;
    if (attempt >= GENERATE_ATTEMPTS) throw new Error(`could not generate a readable ${type} host key in ${GENERATE_ATTEMPTS} attempts`);
  }
}

function parses(key: string | Buffer): boolean {
  const parsed = ssh2.utils.parseKey(key);
  return !(parsed instanceof Error) && (!Array.isArray(parsed) || parsed.length > 0);
}
