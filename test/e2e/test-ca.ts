/** A throwaway certificate authority made with openssl, for HTTPS tests. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOk, tempDir } from './harness.js';

export interface TestCa {
  readonly dir: string;
  /** The CA's certificate (PEM): what clients are told to trust. */
  readonly caCert: string;
  /**
   * A server certificate for `localhost` and 127.0.0.1 signed by this CA, with serial `serial`
   * (hex digits), written to `cert`/`key` (a new key each time).
   */
  issue(serial: string, cert: string, key: string): Promise<void>;
}

export async function makeTestCa(): Promise<TestCa> {
  const dir = tempDir('ferry-test-ca-');
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.pem');
  await runOk('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caCert, '-days', '2', '-subj', '/CN=Ferry test CA']);
  const ext = join(dir, 'server.ext');
  writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  return {
    dir,
    caCert,
    async issue(serial, cert, key) {
      const csr = join(dir, `${serial}.csr`);
      await runOk('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=localhost']);
      await runOk('openssl', ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-set_serial', `0x${serial}`, '-days', '2', '-extfile', ext, '-out', cert]);
    },
  };
}
