/**
 * Security regression tests for issue 11, item 8: the SSH algorithms Ferry offers and signs with,
 * checked with Debian's `ssh-audit`, OpenSSH (plain and restricted to rsa-sha2-512) and Dropbear's
 * `dbclient` (scripts/install-deps.sh --test installs both).
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, makeKey, run, runOk, startFerry, tempDir, type Client, type FerryServer, type RunResult } from './harness.js';

/** The algorithms OpenSSH's own client proposes by default (`ssh -G`), the yardstick for ssh-audit. */
async function openSshDefaults(): Promise<Set<string>> {
  const r = await runOk('ssh', ['-G', '-F', '/dev/null', 'example.invalid']);
  const names = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const [key, value] = line.split(' ');
    if (value !== undefined && ['kexalgorithms', 'hostkeyalgorithms', 'ciphers', 'macs'].includes(key as string)) {
      for (const name of value.split(',')) names.add(name);
    }
  }
  return names;
}

/** The algorithms ssh-audit marks `[fail]` (on their own line or on an indented note below it). */
function failedAlgorithms(audit: string): string[] {
  const failed: string[] = [];
  let current = '';
  for (const line of audit.split('\n')) {
    const m = /^\((kex|key|enc|mac)\) (\S+)/.exec(line);
    if (m) current = m[2] as string;
    else if (!line.startsWith(' ')) current = '';
    if (line.includes('[fail]')) failed.push(current || line.trim());
  }
  return failed;
}

/** Runs `ssh` with only the given options, as a fresh client with nothing configured. */
function openSsh(client: Client, port: number, key: string, options: readonly string[], args: readonly string[] = []): Promise<RunResult> {
  return run(
    'ssh',
    ['-F', '/dev/null', '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${join(client.home, 'kh-' + options.join('').replace(/\W/g, ''))}`, '-o', 'StrictHostKeyChecking=accept-new', ...options, '-p', String(port), '127.0.0.1', ...args],
    { env: client.env, timeoutMs: 30_000 },
  );
}

describe('security: SSH algorithms (issue 11)', () => {
  let server: FerryServer;
  let alice: Client;

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice');
    await server.cliOk(['repo', 'create', 'team/app']);
    await server.cliOk(['grant', 'alice', 'team/app', 'write']);
  });
  after(async () => {
    await server.stop();
  });

  it('ssh-rsa (SHA-1) host key offered, server-sig-algs malformed, dbclient and rsa-sha2-512-only clients locked out', async () => {
    // 1. ssh-audit: no [fail] beyond what OpenSSH's own defaults carry; no SHA-1 host key.
    const audit = await run('ssh-audit', ['-n', '-p', String(server.sshPort), '127.0.0.1'], { timeoutMs: 60_000 });
    assert.match(audit.stdout, /\(kex\) curve25519-sha256/, `ssh-audit did not audit the server:\n${audit.stdout}${audit.stderr}`);
    const defaults = await openSshDefaults();
    const beyondOpenSsh = failedAlgorithms(audit.stdout).filter((name) => !defaults.has(name));
    assert.deepEqual(beyondOpenSsh, [], `ssh-audit [fail] lines OpenSSH's defaults do not have:\n${audit.stdout}`);
    assert.doesNotMatch(audit.stdout, /^\(key\) ssh-rsa/m, 'ssh-rsa (SHA-1) host key algorithm offered');
    const sha1Host = await openSsh(alice, server.sshPort, alice.key.privatePath, ['-o', 'HostKeyAlgorithms=ssh-rsa']);
    assert.notEqual(sha1Host.code, 0, 'a client asking for an ssh-rsa (SHA-1) host key signature got one');

    // 2. server-sig-algs (RFC 8308 §3.1) is a well-formed name-list without SHA-1 algorithms.
    const verbose = await openSsh(alice, server.sshPort, alice.key.privatePath, ['-vvv']);
    assert.equal(verbose.code, 0, verbose.stderr);
    const sigAlgs = /server-sig-algs=<([^>]*)>/.exec(verbose.stderr)?.[1];
    assert.ok(sigAlgs !== undefined, `no server-sig-algs in EXT_INFO:\n${verbose.stderr}`);
    const known = new Set(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256']);
    for (const name of sigAlgs.split(',')) assert.ok(known.has(name), `server-sig-algs holds ${JSON.stringify(name)}: ${sigAlgs}`);
    assert.ok(sigAlgs.split(',').includes('rsa-sha2-512'), sigAlgs);

    // 3. OpenSSH with its defaults, and restricted to rsa-sha2-512 (user key and host key), or 256.
    const plain = await openSsh(alice, server.sshPort, alice.key.privatePath, []);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /as user alice/);
    const rsa = await makeKey(alice.home, 'id_rsa_alice', 'rsa');
    await server.cliOk(['key', 'add', 'alice', rsa.publicPath]);
    for (const algo of ['rsa-sha2-512', 'rsa-sha2-256']) {
      const only = await openSsh(alice, server.sshPort, rsa.privatePath, ['-o', `PubkeyAcceptedAlgorithms=${algo}`, '-o', `HostKeyAlgorithms=${algo}`]);
      assert.equal(only.code, 0, `${algo} only: ${only.stderr}`);
      assert.match(only.stdout, /as user alice/, algo);
    }

    // 4. Dropbear's dbclient completes key exchange (it sends a guessed first KEX packet) and works
    //    as hg's ssh, with an ed25519 and an RSA key of its own format.
    const home = tempDir('ferry-dropbear-');
    const env = { ...alice.env, HOME: home };
    for (const type of ['ed25519', 'rsa'] as const) {
      const keyFile = join(home, `db_${type}`);
      await runOk('dropbearkey', ['-t', type, '-f', keyFile]);
      const pub = (await runOk('dropbearkey', ['-y', '-f', keyFile])).stdout.split('\n').find((l) => l.startsWith('ssh-')) as string;
      await server.cliOk(['key', 'add', 'alice', '-'], { input: `${pub}\n` });
      const bare = await run('dbclient', ['-y', '-T', '-i', keyFile, '-p', String(server.sshPort), 'alice@127.0.0.1'], { env, timeoutMs: 30_000 });
      assert.equal(bare.code, 0, `dbclient (${type}) exited ${bare.code}: ${bare.stderr}`);
      assert.match(bare.stdout, /as user alice/, `dbclient (${type})`);
    }
    const sshCmd = `dbclient -y -i ${join(home, 'db_ed25519')}`;
    const clone = join(home, 'clone');
    const hg = await run('hg', ['clone', '--config', `ui.ssh=${sshCmd}`, `ssh://alice@127.0.0.1:${server.sshPort}/team/app`, clone], { env, timeoutMs: 60_000 });
    assert.equal(hg.code, 0, `hg clone over dbclient: ${hg.stderr}`);
    assert.ok(readFileSync(join(clone, '.hg', 'requires'), 'utf8').length > 0);
  });
});
