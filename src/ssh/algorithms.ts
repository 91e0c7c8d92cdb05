import type { Algorithms } from 'ssh2';

/**
 * Every algorithm the SSH server offers, listed explicitly: no SHA-1 anywhere (no ssh-rsa
 * signatures, no hmac-sha1, no group1/group14-sha1 key exchange), no CBC ciphers.
 *
 * ssh2 1.17 does not honour this list by itself; `patches/ssh2+1.17.0.patch` (applied by
 * `npm ci`'s postinstall) makes it: the RSA host key was also offered as `ssh-rsa` when that was
 * left out; `server-sig-algs` (RFC 8308 §3.1) lacked a comma and listed ssh-rsa and ssh-dss;
 * USERAUTH_PK_OK named `ssh-rsa` instead of the requested rsa-sha2-* (RFC 4252 §7: Dropbear signs
 * with the name it gets back); and a client's guessed first KEX packet (RFC 4253 §7, Dropbear
 * sends one) was always thrown away, so key exchange never completed. `ssh-audit`, OpenSSH and
 * Dropbear check all of it in test/e2e/security-ssh-algorithms.test.ts.
 */
export const SERVER_ALGORITHMS: Algorithms = {
  kex: [
    'curve25519-sha256',
    'curve25519-sha256@libssh.org',
    'ecdh-sha2-nistp256',
    'ecdh-sha2-nistp384',
    'ecdh-sha2-nistp521',
    'diffie-hellman-group16-sha512',
    'diffie-hellman-group18-sha512',
    'diffie-hellman-group14-sha256',
  ],
  serverHostKey: ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256'],
  cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes256-ctr'],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'],
  compress: ['none'],
};

/** Client signature algorithms accepted in public-key authentication. */
export const ACCEPTED_SIGNATURE_KEY_TYPES: ReadonlySet<string> = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
]);
