import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { addUser, makeClient, makeKey, run, startFerry, tempDir, type Client, type FerryServer, type KeyPair, expectOk } from './harness.js';

interface Ssh2Result {
  authenticated: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

/**
 * Connects with the ssh2 client library, which sends exactly what it is given (env requests
 * OpenSSH would reword or drop, requests that want a reply): `key` may be a crafted key object.
 */
function ssh2Exec(port: number, key: unknown, command: string, options: { env?: Record<string, string>; agent?: string } = {}): Promise<Ssh2Result> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let stdout = '';
    let stderr = '';
    // ssh2 sends the agent request (with want-reply) when asked to, though its types leave it out.
    const execOptions: ssh2.ExecOptions & { agentForward?: boolean } = { env: options.env, agentForward: options.agent !== undefined };
    client.on('ready', () => {
      client.exec(command, execOptions, (err, stream) => {
        if (err) {
          client.end();
          return resolve({ authenticated: true, code: null, stdout, stderr, error: err.message });
        }
        stream.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        stream.on('data', (b: Buffer) => (stdout += b.toString('latin1')));
        // Nothing to send: end of input, as `ssh … < /dev/null` (git upload-pack then exits).
        stream.end();
        stream.on('exit', (code: number | null) => {
          client.end();
          resolve({ authenticated: true, code, stdout, stderr });
        });
      });
    });
    client.on('error', (err) => resolve({ authenticated: false, code: null, stdout, stderr, error: err.message }));
    client.connect({ host: '127.0.0.1', port, username: 'git', privateKey: key as Buffer, readyTimeout: 10_000, ...(options.agent ? { agent: options.agent } : {}) });
  });
}

/** Asks for a subsystem with the ssh2 client library: the error it gets, or undefined if granted. */
function ssh2Sftp(port: number, key: Buffer): Promise<string | undefined> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    client.on('ready', () =>
      client.sftp((err) => {
        client.end();
        resolve(err?.message);
      }),
    );
    client.on('error', (err) => resolve(`connection: ${err.message}`));
    client.connect({ host: '127.0.0.1', port, username: 'git', privateKey: key, readyTimeout: 10_000 });
  });
}

describe('SSH server', () => {
  let server: FerryServer;
  let alice: Client;
  let recorder: string;
  let calls: string;

  before(async () => {
    // Real hg and git behind a wrapper that records every start: proves nothing is spawned for refused commands.
    const bin = tempDir('ferry-bin-');
    calls = join(bin, 'calls.log');
    recorder = join(bin, 'hg');
    writeFileSync(recorder, `#!/bin/sh\necho "hg $*" >> ${calls}\nexec /usr/bin/hg "$@"\n`);
    // What the child's environment holds, as the child sees it (never what was asked for).
    writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "git GIT_PROTOCOL=\${GIT_PROTOCOL-unset} LD_PRELOAD=\${LD_PRELOAD-unset} $*" >> ${calls}\nexec /usr/bin/git "$@"\n`);
    chmodSync(recorder, 0o755);
    chmodSync(join(bin, 'git'), 0o755);
    server = await startFerry({ env: { FERRY_HG_EXECUTABLE: recorder, FERRY_HG_CHG: '', FERRY_GIT_EXECUTABLE: join(bin, 'git') } });
    alice = await addUser(server, 'alice');
    await server.cliOk(['repo', 'create', 'team/app']);
    await server.cliOk(['repo', 'create', 'team/lib', '--git']);
    await server.cliOk(['grant', 'alice', 'team/app', 'write']);
    await server.cliOk(['grant', 'alice', 'team/lib', 'read']);
  });
  after(async () => {
    await server.stop();
  });

  it('prints who you are and what you can reach for a bare ssh, with or without a pty', async () => {
    const r = await alice.ssh(['127.0.0.1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /signed in to Ferry as user alice/);
    assert.match(r.stdout, /team\/app\s+hg\s+write/);
    assert.match(r.stdout, /team\/lib\s+git\s+read/);
    const tty = await alice.ssh(['-tt', '127.0.0.1']);
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stdout, /signed in to Ferry as user alice\.\r\n/);
  });

  it('accepts ed25519, ecdsa and rsa (sha2) keys, and refuses ssh-rsa SHA-1 signatures', async () => {
    const keys = tempDir();
    for (const type of ['ecdsa', 'rsa'] as const) {
      const key = await makeKey(keys, `k_${type}`, type);
      await server.cliOk(['key', 'add', 'alice', key.publicPath]);
      const client = await makeClient(server, `alice-${type}`, key);
      const r = await client.ssh(['127.0.0.1']);
      assert.equal(r.code, 0, `${type}: ${r.stderr}`);
      assert.match(r.stdout, /as user alice/);
      if (type === 'rsa') {
        const sha1 = await client.ssh(['-o', 'PubkeyAcceptedAlgorithms=ssh-rsa', '127.0.0.1']);
        assert.equal(sha1.code, 255);
        assert.match(sha1.stderr, /Permission denied \(publickey\)/);
      }
    }
  });

  it('refuses unknown keys and offers no password or keyboard-interactive login', async () => {
    const stranger = await makeClient(server, 'stranger');
    const r = await stranger.ssh(['127.0.0.1']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /Permission denied \(publickey\)/);
    const pw = await alice.ssh(['-o', 'PreferredAuthentications=password,keyboard-interactive', '127.0.0.1']);
    assert.equal(pw.code, 255);
    assert.match(pw.stderr, /Permission denied \(publickey\)/);
  });

  it('GHSA-pchf-49fh-w34r / CVE-2024-45337: an accepted key query does not authenticate a different signer', async () => {
    const keys = tempDir();
    const attacker: KeyPair = await makeKey(keys, 'attacker');
    const victimPublic = ssh2.utils.parseKey(alice.key.publicLine);
    const attackerKey = ssh2.utils.parseKey(readFileSync(attacker.privatePath));
    assert.ok(!(victimPublic instanceof Error) && !Array.isArray(victimPublic));
    assert.ok(!(attackerKey instanceof Error) && !Array.isArray(attackerKey));
    // Presents alice's public key (the server answers "acceptable"), then signs with the attacker's key.
    const forged = new Proxy(attackerKey, {
      get(target, prop) {
        if (prop === 'getPublicSSH') return () => victimPublic.getPublicSSH();
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const attack = await ssh2Exec(server.sshPort, forged, 'hg -R team/app serve --stdio');
    assert.equal(attack.authenticated, false, 'forged signature must not log in');
    // The same client with alice's real key logs in: the check above can fail.
    const real = await ssh2Exec(server.sshPort, readFileSync(alice.key.privatePath), "hg init 'nope/../x'");
    assert.equal(real.authenticated, true, real.error);
  });

  it('refuses port forwarding', async () => {
    const direct = await alice.ssh(['-W', `127.0.0.1:${server.httpPort}`, '127.0.0.1']);
    assert.notEqual(direct.code, 0);
    assert.match(direct.stderr, /administratively prohibited|open failed|forwarding failed/);
    const remote = await alice.ssh(['-o', 'ExitOnForwardFailure=yes', '-N', '-R', '0:127.0.0.1:1', '127.0.0.1']);
    assert.notEqual(remote.code, 0);
    assert.match(remote.stderr, /remote port forwarding failed/);
  });

  it('refuses the sftp subsystem (and every other): the refusal itself, from OpenSSH and from ssh2', async () => {
    const sub = await alice.ssh(['-s', '127.0.0.1', 'sftp']);
    assert.equal(sub.code, 255, sub.stderr);
    assert.match(sub.stderr, /subsystem request failed on channel 0/);
    const other = await alice.ssh(['-s', '127.0.0.1', 'netconf']);
    assert.match(other.stderr, /subsystem request failed on channel 0/);
    assert.equal(await ssh2Sftp(server.sshPort, readFileSync(alice.key.privatePath)), 'Unable to start subsystem: sftp');
  });

  it('refuses agent forwarding: the request is refused and no agent channel is ever opened', async () => {
    const dir = tempDir('ferry-agent-');
    const socket = join(dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(50);
      assert.ok(existsSync(socket), 'ssh-agent is listening');
      const env = { ...alice.env, SSH_AUTH_SOCK: socket };
      const add = await run('ssh-add', [alice.key.privatePath], { env });
      assert.equal(add.code, 0, add.stderr);
      // ssh2 asks with want-reply: the server's answer is a refusal.
      const asked = await ssh2Exec(server.sshPort, readFileSync(alice.key.privatePath), "git-upload-pack 'team/lib'", { agent: socket });
      assert.equal(asked.error, 'Unable to request agent forwarding');
      // OpenSSH asks without want-reply: its debug log shows the request went out, and the
      // server never opened an auth-agent channel back (it would show as a channel open).
      const openssh = await run(
        'ssh',
        ['-F', '/dev/null', '-i', alice.key.privatePath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${join(alice.home, 'known_hosts')}`,
          '-o', 'StrictHostKeyChecking=accept-new', '-o', 'LogLevel=DEBUG3', '-A', '-p', String(server.sshPort), '127.0.0.1'],
        { env },
      );
      assert.equal(openssh.code, 0, openssh.stderr);
      assert.match(openssh.stderr, /Requesting authentication agent forwarding/);
      assert.match(openssh.stdout, /signed in to Ferry as user alice/);
      assert.doesNotMatch(openssh.stderr, /auth-agent@openssh\.com/);
    } finally {
      agent.kill();
    }
  });

  it('passes on only a valid GIT_PROTOCOL, and no other variable, to the programs it runs', async () => {
    const key = readFileSync(alice.key.privatePath);
    const seen = async (env: Record<string, string>): Promise<string> => {
      rmSync(calls, { force: true });
      const r = await ssh2Exec(server.sshPort, key, "git-upload-pack 'team/lib'", { env });
      assert.equal(r.authenticated, true, r.error);
      assert.notEqual(r.code, null, r.error);
      return existsSync(calls) ? readFileSync(calls, 'utf8') : '';
    };
    // The valid value reaches git: the probe can see what Ferry passes on.
    assert.match(await seen({ GIT_PROTOCOL: 'version=2' }), /^git GIT_PROTOCOL=version=2 LD_PRELOAD=unset upload-pack --strict /m);
    // Each of these reaches the server byte for byte (ssh2 sends env requests as given).
    for (const bad of ['version=2;touch /tmp/x', 'version=9', 'version=2$(id)', 'version=2:a;b', 'version=2\nid', `version=2:${'a'.repeat(65)}`, ' version=2']) {
      assert.match(await seen({ GIT_PROTOCOL: bad, LD_PRELOAD: '/tmp/evil.so' }), /^git GIT_PROTOCOL=unset LD_PRELOAD=unset upload-pack /m, JSON.stringify(bad));
    }
    assert.match(await seen({ LD_PRELOAD: '/tmp/evil.so', GIT_PROTOCOL: 'version=2' }), /^git GIT_PROTOCOL=version=2 LD_PRELOAD=unset /m);
    // OpenSSH's SetEnv, as users send it.
    rmSync(calls, { force: true });
    const v2 = await alice.ssh(['-o', 'SetEnv=GIT_PROTOCOL=version=2', '-o', 'SetEnv=LD_PRELOAD=/tmp/evil.so', '127.0.0.1', "git-upload-pack 'team/lib'"]);
    assert.match(v2.stdout, /^000eversion 2\n/);
    assert.match(readFileSync(calls, 'utf8'), /^git GIT_PROTOCOL=version=2 LD_PRELOAD=unset /m);
  });

  it('refuses hostile commands before anything is spawned', async () => {
    rmSync(calls, { force: true });
    const marker = join(tempDir(), 'pwned');
    const table = [
      'hg -R --debugger serve --stdio',
      `hg -R team/app --config hooks.pre-serve=touch${marker} serve --stdio`,
      `hg -R team/app --config=hooks.pre-serve=touch serve --stdio`,
      'hg -R ../../etc serve --stdio',
      'hg -R //etc serve --stdio',
      'hg -R ~root/x serve --stdio',
      "hg -R '~root/x' serve --stdio",
      `hg -R ${'a'.repeat(2000)} serve --stdio`,
      "hg -R 'team/app' serve --stdio' --debugger'",
      `hg -R team/app serve --stdio; touch ${marker}`,
      `hg -R team/app serve --stdio && touch ${marker}`,
      'hg -R "team/app" serve --stdio',
      'hg -R team\\/app serve --stdio',
      'hg -R $(touch /tmp/x) serve --stdio',
      'hg -R `id` serve --stdio',
      "hg -R 'team/app serve --stdio",
      'hg init ../outside',
      "git-upload-pack '--help'",
      "git-upload-pack '--upload-pack=touch /tmp/x'",
      "git upload-pack '-h'",
      "git-receive-pack '../../etc'",
      "git -c core.pager=id upload-pack 'team/lib'",
      "scp -t 'team/app'",
      'sh',
    ];
    // Absolute paths name repos under the data dir (a leading / is ignored), so these are unknown repos.
    for (const command of ['hg -R /etc serve --stdio', `hg -R ${server.dataDir}/repos/team/app serve --stdio`, "git-upload-pack '/etc/passwd'"]) {
      const r = await alice.ssh(['127.0.0.1', command]);
      assert.equal(r.code, 1, command);
      assert.match(r.stderr, /ferry: repository \S+ does not exist or you may not see it/, command);
    }
    for (const command of table) {
      const r = await alice.ssh(['127.0.0.1', command]);
      assert.notEqual(r.code, 0, command.slice(0, 60));
      assert.match(r.stderr, /ferry: command refused/, command.slice(0, 60));
    }
    const aliceKey = readFileSync(alice.key.privatePath);
    for (const command of ['hg -R team/app\0 serve --stdio', 'hg -R team/app serve --stdio\nid', 'hg -R team/app\r serve --stdio', "git-upload-pack 'team/lib\0'"]) {
      const r = await ssh2Exec(server.sshPort, aliceKey, command);
      assert.equal(r.authenticated, true, r.error);
      assert.equal(r.code, 1, JSON.stringify(command));
      assert.match(r.stderr, /ferry: command refused/);
    }
    // A 1 MB command line does not fit in argv, so it goes through the ssh2 client library.
    const huge = await ssh2Exec(server.sshPort, aliceKey, `hg -R ${'a'.repeat(1024 * 1024)} serve --stdio`);
    assert.ok(huge.code !== 0, `huge command: ${JSON.stringify({ ...huge, stderr: huge.stderr.slice(0, 200) })}`);
    assert.ok(!existsSync(marker));
    assert.ok(!existsSync(calls), `spawned: ${existsSync(calls) ? readFileSync(calls, 'utf8') : ''}`);
    // The recorder works: a valid command is recorded, so the check above can fail.
    const ok = await alice.hg(['identify', alice.sshUrl('team/app')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(readFileSync(calls, 'utf8'), /serve --stdio/);
  });

  it('keeps its host keys across restarts', async () => {
    const data = tempDir('ferry-data-');
    const first = await startFerry({ dataDir: data });
    const bob = await addUser(first, 'bob');
    assert.equal((await bob.ssh(['127.0.0.1'])).code, 0);
    const knownHosts = readFileSync(join(bob.home, 'known_hosts'), 'utf8');
    assert.match(knownHosts, /ssh-ed25519/);
    await first.stop();
    const second = await startFerry({ dataDir: data });
    try {
      const again = await makeClient(second, 'bob', bob.key);
      writeFileSync(join(again.home, 'known_hosts'), knownHosts.replace(`:${first.sshPort}]`, `:${second.sshPort}]`));
      const r = await again.ssh(['-o', 'StrictHostKeyChecking=yes', '127.0.0.1']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /as user bob/);
    } finally {
      await second.stop();
    }
  });

  it('lets a bootstrap admin from FERRY_BOOTSTRAP_ADMIN_KEYS use ssh', async () => {
    const keys = tempDir();
    const key = await makeKey(keys, 'boot');
    const boot = await startFerry({ env: { FERRY_BOOTSTRAP_ADMIN_KEYS: key.publicLine } });
    try {
      assert.match(boot.output(), /created user admin/);
      const admin = await makeClient(boot, 'admin', key);
      const who = await admin.ssh(['127.0.0.1']);
      assert.equal(who.code, 0, who.stderr);
      assert.match(who.stdout, /as user admin \(admin\)/);
      const init = await admin.hg(['init', admin.sshUrl('anything/goes')]);
      assert.equal(init.code, 0, init.stderr);
    } finally {
      await boot.stop();
    }
  });

  it('announces a change after a push and not after a pull', async () => {
    const logged = await startFerry({ env: { FERRY_LOG_LEVEL: 'info' } });
    try {
      const carol = await addUser(logged, 'carol');
      assert.equal((await carol.hg(['init', carol.sshUrl('carol/r')])).code, 0);
      const local = join(tempDir(), 'l');
      await expectOk(carol.hg(['init', local]));
      writeFileSync(join(local, 'a'), 'a\n');
      await expectOk(carol.hg(['-R', local, 'commit', '-A', '-m', 'a']));
      assert.equal((await carol.hg(['-R', local, 'push', carol.sshUrl('carol/r')])).code, 0);
      const changed = () => logged.output().split('\n').filter((l) => l.includes('"msg":"repository changed"') && l.includes('carol/r')).length;
      assert.equal(changed(), 1);
      assert.equal((await carol.hg(['-R', local, 'pull', carol.sshUrl('carol/r')])).code, 0);
      assert.equal((await carol.hg(['-R', local, 'push', carol.sshUrl('carol/r')])).code, 1);
      assert.equal(changed(), 1);
    } finally {
      await logged.stop();
    }
  });
});

void run;
