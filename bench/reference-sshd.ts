import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export const SSHD = '/usr/sbin/sshd';

/**
 * Prepares OpenSSH's sshd on loopback as a benchmark's reference: a host key, the given
 * authorized keys and a config in `dir`. Returns the port and the arguments to start it with
 * (`sshd -D -e -f …`); the caller spawns it and waits for it in its own way.
 */
export async function prepareReferenceSshd(dir: string, authorizedKeys: string): Promise<{ port: number; args: string[] }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')], { encoding: 'utf8' });
  if (keygen.status !== 0) throw new Error(`ssh-keygen failed: ${keygen.stderr}`);
  writeFileSync(join(dir, 'authorized_keys'), authorizedKeys);
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin yes',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PrintMotd no',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  // sshd refuses to start without its privilege-separation directory.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  return { port, args: ['-D', '-e', '-f', join(dir, 'sshd_config')] };
}
