import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { addUser, run, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly cmdline: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      out.push({ pid: Number(name), ppid, cmdline });
    } catch {
      /* it exited while we looked */
    }
  }
  return out;
}

function descendants(all: Proc[], root: number): Proc[] {
  const found: Proc[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const p of all) {
      if (p.ppid === parent) {
        found.push(p);
        queue.push(p.pid);
      }
    }
  }
  return found;
}

/** hg processes serving for this server: ferry's children and workers forked by its chg servers. */
function servingProcesses(server: FerryServer): Proc[] {
  const all = processes();
  const chgDaemons = all.filter((p) => p.cmdline.includes('--cmdserver chgunix') && p.cmdline.includes(server.dataDir));
  // Ferry has other children (CDN workers, the hgweb backend): only hg/chg started for ssh count.
  const bridged = descendants(all, server.process.pid as number).filter((p) => p.cmdline.includes(' serve --stdio'));
  return [...bridged, ...chgDaemons.flatMap((d) => descendants(all, d.pid))];
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** Bytes a process has written so far (all write calls), from /proc/PID/io. */
function writtenBytes(pid: number): number {
  try {
    return Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // it exited while we looked
  }
}

/**
 * The serving hg process that sleeps inside write(2) on a full pipe (its stdout to Ferry; node
 * makes child stdio from UNIX socket pairs): /proc/PID/syscall names the call it is in (1 is
 * write on x86-64) and /proc/PID/wchan where the kernel parked it (sock_alloc_send_pskb: waiting
 * for room in a full socket buffer; pipe_write for a pipe).
 */
function blockedWriter(server: FerryServer): { pid: number; written: number } | undefined {
  for (const p of servingProcesses(server)) {
    try {
      const syscall = readFileSync(`/proc/${p.pid}/syscall`, 'utf8').split(' ');
      const wchan = readFileSync(`/proc/${p.pid}/wchan`, 'utf8');
      if (syscall[0] === '1' && /pipe_write|sock_alloc_send_pskb|wait_for_wmem/.test(wchan)) return { pid: p.pid, written: writtenBytes(p.pid) };
    } catch {
      /* it exited while we looked */
    }
  }
  return undefined;
}

async function until(what: string, check: () => boolean | Promise<boolean>, limitMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`gave up waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Starts `hg clone` in its own process group, so the test can stop or kill hg and its ssh together.
 * Clone bundles are off: these tests are about the changesets flowing over SSH (Ferry offers SSH
 * clones a pre-made bundle over HTTP by default, which would move the bytes off the channel).
 */
function startClone(client: Client, url: string, dest: string): { child: ChildProcess; done: Promise<number | null> } {
  const child = spawn('hg', ['clone', '-U', '--config', 'ui.clonebundles=false', url, dest], { env: client.env, detached: true, stdio: 'ignore' });
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, done };
}

const BIG_MB = 96;

describe('SSH under load and failure', () => {
  let server: FerryServer;
  let alice: Client;

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice', { admin: true });
    // A repo of incompressible data, much larger than every buffer on the way.
    const local = join(tempDir('ferry-big-'), 'big');
    await alice.hg(['init', local]);
    for (let i = 0; i < BIG_MB / 8; i++) writeFileSync(join(local, `blob${i}.bin`), randomBytes(8 * 1024 * 1024));
    assert.equal((await alice.hg(['-R', local, 'commit', '-A', '-q', '-m', 'big'])).code, 0);
    assert.equal((await alice.hg(['init', alice.sshUrl('load/big')])).code, 0);
    const push = await alice.hg(['-R', local, 'push', join(server.dataDir, 'repos/load/big')]);
    assert.equal(push.code, 0, push.stderr);
  });
  after(async () => {
    await server.stop();
  });

  it('keeps memory bounded while a client stalls, and leaves no hg behind when it drops mid-clone', async () => {
    const baseline = rssBytes(server.process.pid as number);
    const { child, done } = startClone(alice, alice.sshUrl('load/big'), join(tempDir(), 'c'));
    try {
      await until('the server to spawn hg', () => servingProcesses(server).some((p) => p.cmdline.includes('serve --stdio')));
      // Stopped too early, the client has not asked for anything yet and hg sits reading: wait for data.
      await until('hg to send the changesets', () => servingProcesses(server).some((p) => writtenBytes(p.pid) > 4 * 1024 * 1024));
      process.kill(-(child.pid as number), 'SIGSTOP');
      // Data flowed until every buffer on the way filled, and hg now waits in write() on a full pipe:
      // only then does the memory below say anything about a stalled client.
      // The buffers fill by steps (the kernel's socket buffers grow as they fill), so hg may block
      // in write() and go on a moment later: blocked means in write() and no byte more for 500 ms.
      let writer: { pid: number; written: number } | undefined;
      let previous = -1;
      await until('hg to block writing into a full pipe', async () => {
        writer = blockedWriter(server);
        if (writer === undefined) return false;
        const settled = writer.written === previous;
        previous = writer.written;
        if (!settled) await sleep(500);
        return settled;
      }).catch((err: Error) => {
        const states = servingProcesses(server).map((p) => {
          const read = (f: string) => {
            try {
              return readFileSync(`/proc/${p.pid}/${f}`, 'utf8').split(' ')[0]?.trim();
            } catch {
              return '?';
            }
          };
          return `${p.pid} ${p.cmdline.slice(0, 60)} syscall=${read('syscall')} wchan=${read('wchan')} wrote=${writtenBytes(p.pid)}`;
        });
        throw new Error(`${err.message}:\n${states.join('\n')}`);
      });
      const w = writer as { pid: number; written: number };
      assert.ok(w.written > 4 * 1024 * 1024, `hg wrote ${w.written} bytes before blocking`);
      await sleep(500);
      assert.equal(writtenBytes(w.pid), w.written, 'hg wrote nothing more while the client is stopped');
      assert.ok(blockedWriter(server), 'hg is still blocked writing');
      let peak = 0;
      for (let i = 0; i < 20; i++) {
        peak = Math.max(peak, rssBytes(server.process.pid as number));
        await sleep(100);
      }
      assert.ok(peak - baseline < 40 * 1024 * 1024, `server grew by ${Math.round((peak - baseline) / 1e6)} MB while serving a ${BIG_MB} MB repo to a stalled client`);
      assert.ok(servingProcesses(server).length > 0, 'hg is still serving the stalled client');
      process.kill(-(child.pid as number), 'SIGKILL');
      await done;
      await until('hg processes to go away', () => servingProcesses(server).length === 0);
    } finally {
      // A failed assertion must not leave the stopped client (and the hg it holds) behind.
      if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGKILL');
    }
  });

  it('serves 20 parallel clones, then takes 20 concurrent pushes to one repo and verifies', async () => {
    assert.equal((await alice.hg(['init', alice.sshUrl('load/shared')])).code, 0);
    const seed = join(tempDir(), 'seed');
    await alice.hg(['init', seed]);
    writeFileSync(join(seed, 'base.txt'), 'base\n');
    await alice.hg(['-R', seed, 'commit', '-A', '-m', 'base']);
    assert.equal((await alice.hg(['-R', seed, 'push', alice.sshUrl('load/shared')])).code, 0);

    const dirs = Array.from({ length: 20 }, (_, i) => join(tempDir(), `w${i}`));
    const clones = await Promise.all(dirs.map((d) => alice.hg(['clone', alice.sshUrl('load/shared'), d])));
    clones.forEach((r, i) => assert.equal(r.code, 0, `clone ${i}: ${r.stderr}`));
    // Each on its own named branch (what `hg branch` writes), so every push can land.
    await Promise.all(
      dirs.map((d, i) => {
        writeFileSync(join(d, '.hg', 'branch'), `b${i}\n`);
        writeFileSync(join(d, `f${i}.txt`), `${i}\n`);
        return alice.hg(['-R', d, 'commit', '-A', '-q', '-m', `change ${i}`]);
      }),
    );
    const pushes = await Promise.all(dirs.map((d) => alice.hg(['-R', d, 'push', '--new-branch', alice.sshUrl('load/shared')])));
    let pushed = 0;
    for (const [i, r] of pushes.entries()) {
      if (r.code === 0) pushed++;
      else assert.match(r.stderr + r.stdout, /abort: /, `push ${i} neither pushed nor refused cleanly: ${r.stderr}`);
    }
    assert.equal(pushed, 20);
    const dir = join(server.dataDir, 'repos/load/shared');
    const verify = await run('hg', ['-R', dir, 'verify'], { env: { ...process.env, HGRCPATH: '' } });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const heads = await run('hg', ['-R', dir, 'heads', '-T', '{branch}\n'], { env: { ...process.env, HGRCPATH: '' } });
    assert.equal(heads.stdout.trim().split('\n').length, 21);
  });

  it('on SIGTERM refuses new connections and lets a transfer in flight finish', async () => {
    const dest = join(tempDir(), 'c');
    const { child, done } = startClone(alice, alice.sshUrl('load/big'), dest);
    await until('the server to spawn hg', () => servingProcesses(server).some((p) => p.cmdline.includes('serve --stdio')));
    process.kill(-(child.pid as number), 'SIGSTOP');
    const exited = new Promise<number | null>((resolve) => server.process.on('exit', (code) => resolve(code)));
    server.process.kill('SIGTERM');
    await until('the server to start stopping', () => server.output().includes('SIGTERM: finishing transfers'));
    const late = await alice.ssh(['127.0.0.1']);
    assert.equal(late.code, 255);
    assert.match(late.stderr, /Connection refused/);
    process.kill(-(child.pid as number), 'SIGCONT');
    assert.equal(await done, 0);
    assert.equal(await exited, 0);
    const verify = await run('hg', ['-R', dest, 'verify'], { env: { ...process.env, HGRCPATH: '' } });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    // The warm chg servers go with it.
    await until('chg servers to exit', () => !processes().some((p) => p.cmdline.includes('--cmdserver chgunix') && p.cmdline.includes(server.dataDir)));
  });
});
