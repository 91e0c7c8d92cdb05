import { strict as assert } from 'node:assert';
import { chmodSync, chownSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pushAndCloneBoth, startServing, type ServingProcess } from './deploy-helpers.js';
import { ROOT, makeClient, makeKey, run, runOk, tempDir } from './harness.js';

const UNIT = join(ROOT, 'deploy', 'systemd', 'ferry.service');
/** Where the unit expects Ferry's checkout (its install comment says so); the test runs this one. */
const INSTALL_DIR = '/opt/ferry';

/** `Key=value` lines of one section of a unit file (systemd.syntax(7)), in order. */
function unitSettings(text: string, section: string): [string, string][] {
  const out: [string, string][] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1] as string;
    else if (current === section) {
      const eq = line.indexOf('=');
      out.push([line.slice(0, eq), line.slice(eq + 1)]);
    }
  }
  return out;
}

/** Every syscall group systemd knows (`systemd-analyze syscall-filter`), nested groups expanded. */
async function syscallGroups(): Promise<Map<string, Set<string>>> {
  const raw = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of (await runOk('systemd-analyze', ['syscall-filter', '--no-pager'])).stdout.split('\n')) {
    if (/^@\S+$/.test(line)) raw.set(line, (current = []));
    else if (/^\s+[@a-z0-9_-]+$/.test(line)) current?.push(line.trim());
  }
  const expand = (name: string, seen = new Set<string>()): Set<string> => {
    const out = new Set<string>();
    for (const member of raw.get(name) ?? []) {
      if (!member.startsWith('@')) out.add(member);
      else if (!seen.has(member)) for (const m of expand(member, seen.add(member))) out.add(m);
    }
    return out;
  };
  return new Map([...raw.keys()].map((g) => [g, expand(g)]));
}

/** What the unit's SystemCallFilter= lines let through: an allow list, minus each `~` deny list. */
function filterAllows(lines: string[], groups: Map<string, Set<string>>): (syscall: string) => boolean {
  const names = (words: string[]) => new Set(words.flatMap((w) => (w.startsWith('@') ? [...(groups.get(w) ?? [])] : [w])));
  const allow = lines.filter((l) => !l.startsWith('~')).map((l) => names(l.split(/\s+/)));
  const deny = lines.filter((l) => l.startsWith('~')).map((l) => names(l.slice(1).split(/\s+/)));
  return (syscall) => allow.some((a) => a.has(syscall)) && !deny.some((d) => d.has(syscall));
}

describe('deploy/systemd/ferry.service', () => {
  const running: ServingProcess[] = [];
  let user = '';
  after(async () => {
    for (const r of running) await r.stop();
    if (user !== '') await run('userdel', [user]);
  });

  it('passes systemd-analyze verify', async () => {
    const r = await run('systemd-analyze', ['verify', UNIT]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', r.stderr);
  });

  it('is rated at most 4.0 by systemd-analyze security --offline=yes', async () => {
    const r = await run('systemd-analyze', ['security', '--offline=yes', '--no-pager', UNIT]);
    const figure = Number(/Overall exposure level for ferry\.service: (\d+\.\d+)/.exec(r.stdout)?.[1]);
    console.log(`systemd-analyze security: ferry.service exposure ${figure}`);
    assert.ok(Number.isFinite(figure), r.stdout + r.stderr);
    assert.ok(figure <= 4.0, `exposure ${figure} > 4.0:\n${r.stdout}`);
    for (const needed of ['ProtectSystem=strict', 'NoNewPrivileges=yes', 'PrivateTmp=yes', 'ProtectHome=yes', 'Restart=on-failure', 'StateDirectory=ferry']) {
      assert.ok(readFileSync(UNIT, 'utf8').includes(`\n${needed}\n`), needed);
    }
  });

  it("runs its ExecStart as a throwaway system user (setpriv) that serves hg and git clones, making only syscalls its SystemCallFilter allows", async () => {
    const service = unitSettings(readFileSync(UNIT, 'utf8'), 'Service');
    const execStart = service.find(([k]) => k === 'ExecStart')?.[1] ?? '';
    const argv = execStart.split(/\s+/).map((word) => word.replace(INSTALL_DIR, ROOT));
    assert.ok(argv.length >= 2 && execStart.includes(INSTALL_DIR), execStart);
    const unitEnv = Object.fromEntries(service.filter(([k]) => k === 'Environment').map(([, v]) => v.split('=', 2) as [string, string]));
    assert.equal(unitEnv.FERRY_DATA, '/var/lib/ferry', 'the data dir is the StateDirectory');

    user = `ferrytest${process.pid}`;
    await runOk('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    const uid = Number((await runOk('id', ['-u', user])).stdout.trim());
    const gid = Number((await runOk('id', ['-g', user])).stdout.trim());
    // The StateDirectory systemd would make: owned by the service user, mode 0750.
    const state = tempDir('ferry-systemd-');
    chownSync(state, uid, gid);
    chmodSync(state, 0o750);
    const key = await makeKey(tempDir('ferry-systemd-keys-'), 'id_admin');
    // What EnvironmentFile= (deploy/systemd/ferry.env) would add, on free local ports.
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin', ...unitEnv, FERRY_DATA: state, FERRY_SSH_LISTEN: '127.0.0.1', FERRY_SSH_PORT: '0', FERRY_HTTP_LISTEN: '127.0.0.1', FERRY_HTTP_PORT: '0', FERRY_BOOTSTRAP_ADMIN_KEYS: key.publicLine };
    // Under strace (started by setpriv, as systemd applies the filter after changing user): every
    // syscall node, hg, chg and git make while serving is listed (names only).
    const traced = join(state, 'syscalls.strace');
    const strace = ['strace', '-f', '-qq', '-c', '-U', 'name', '-o', traced];
    const serving = await startServing('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--no-new-privs', '--inh-caps=-all', '--bounding-set=-all', '--', ...strace, ...argv], env, 120_000);
    running.push(serving);
    // setpriv execs ExecStart in place: the serving process is the system user's, not root's.
    const node = Number((await runOk('pgrep', ['-P', String(serving.child.pid)])).stdout.trim());
    assert.equal(Number((await runOk('ps', ['-o', 'uid=', '-p', String(node)])).stdout.trim()), uid);
    const admin = await makeClient(serving, 'admin', key);
    await pushAndCloneBoth(admin);
    process.kill(node, 'SIGTERM');
    await new Promise<void>((resolve) => (serving.child.exitCode !== null ? resolve() : serving.child.once('exit', () => resolve())));

    const used = readFileSync(traced, 'utf8').split('\n').map((l) => l.trim()).filter((l) => /^[a-z0-9_]+$/.test(l) && l !== 'syscall' && l !== 'total');
    assert.ok(used.includes('execve') && used.includes('accept4'), used.join(' '));
    const allows = filterAllows(service.filter(([k]) => k === 'SystemCallFilter').map(([, v]) => v), await syscallGroups());
    const refused = used.filter((name) => !allows(name));
    console.log(`syscalls made while serving: ${used.length}; refused by SystemCallFilter: ${refused.join(' ') || 'none'}`);
    assert.deepEqual(refused, []);
  });
});
