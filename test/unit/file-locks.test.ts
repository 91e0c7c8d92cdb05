import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileLocks } from '../../src/cluster/file-locks.js';
import { FerryError } from '../../src/domain/errors.js';
import { createLogger } from '../../src/log/logger.js';

const log = createLogger('silent');
const moduleUrl = new URL('../../src/cluster/file-locks.js', import.meta.url).href;
const loggerUrl = new URL('../../src/log/logger.js', import.meta.url).href;

/** Another process holding `key` in `dir` until it is killed; resolves once it holds it. */
async function holder(dir: string, key: string, staleMs: number, shared = false): Promise<ChildProcess> {
  const code = `
    const { FileLocks } = await import(${JSON.stringify(moduleUrl)});
    const { createLogger } = await import(${JSON.stringify(loggerUrl)});
    const locks = new FileLocks(${JSON.stringify(dir)}, createLogger('silent'), { staleMs: ${staleMs}, waitMs: 5000 });
    process.once('SIGTERM', () => process.exit(0));
    await locks.${shared ? 'withSharedLock' : 'withLock'}(${JSON.stringify(key)}, async () => { process.stdout.write('held\\n'); await new Promise(() => setInterval(() => {}, 1000)); });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    child.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
  });
  return child;
}

describe('FileLocks (one data dir, several processes)', () => {
  it('excludes another process: try skips, withLock waits for the release', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-locks-'));
    const child = await holder(dir, 'repo:team/app', 10_000);
    const locks = new FileLocks(dir, log, { staleMs: 10_000, waitMs: 20_000 });
    try {
      assert.deepEqual(await locks.tryWithLock('repo:team/app', async () => 1), { ran: false });
      assert.deepEqual(await locks.tryWithLock('repo:team/other', async () => 2), { ran: true, value: 2 }, 'other keys are free');
      const started = Date.now();
      setTimeout(() => child.kill('SIGTERM'), 400);
      assert.equal(await locks.withLock('repo:team/app', async () => 'mine'), 'mine');
      assert.ok(Date.now() - started >= 350, 'waited for the other process');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('takes over the lock of a process that died holding it, once stale', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-locks-'));
    const child = await holder(dir, 'k', 1_000);
    child.kill('SIGKILL');
    const locks = new FileLocks(dir, log, { staleMs: 1_000, waitMs: 10_000 });
    const started = Date.now();
    assert.equal(await locks.withLock('k', async () => 'taken'), 'taken');
    assert.ok(Date.now() - started < 5_000);
  });

  it('gives up after waitMs with FERRY_LOCK_TIMEOUT, which says what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-locks-'));
    const child = await holder(dir, 'k', 10_000);
    try {
      const locks = new FileLocks(dir, log, { staleMs: 10_000, waitMs: 300 });
      await assert.rejects(locks.withLock('k', async () => 'never'), (err: unknown) => err instanceof FerryError && err.code === 'FERRY_LOCK_TIMEOUT' && /try again/.test(err.message));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("leaves a process's own SIGTERM handling alone: a server that took a lock still stops gracefully", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-locks-'));
    const code = `
      const { FileLocks } = await import(${JSON.stringify(moduleUrl)});
      const { createLogger } = await import(${JSON.stringify(loggerUrl)});
      // As ferry serve waits for its signal: a once() listener, gone by the time later ones run,
      // and the first lock taken after it (proper-lockfile's signal-exit then killed the process).
      process.once('SIGTERM', () => setTimeout(() => { process.stdout.write('graceful\\n'); process.exit(0); }, 50));
      const locks = new FileLocks(${JSON.stringify(dir)}, createLogger('silent'));
      await locks.withLock('k', async () => {});
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 100 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const [exitCode, signal] = (await once(child, 'exit')) as [number | null, string | null];
    assert.deepEqual({ exitCode, signal, out }, { exitCode: 0, signal: null, out: 'ready\ngraceful\n' });
  });

  it('shared holds across processes: side by side with other shared ones; an exclusive caller waits for them, and a shared one for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-locks-'));
    const pusher = await holder(dir, 'repo:a', 10_000, true);
    const locks = new FileLocks(dir, log, { staleMs: 10_000, waitMs: 20_000 });
    try {
      assert.equal(await locks.withSharedLock('repo:a', async () => 'beside'), 'beside');
      assert.deepEqual(await locks.tryWithLock('repo:a', async () => 1), { ran: false }, 'a push in flight: no exclusive hold');
      const started = Date.now();
      setTimeout(() => pusher.kill('SIGTERM'), 400);
      assert.equal(await locks.withLock('repo:a', async () => 'moved'), 'moved');
      assert.ok(Date.now() - started >= 350, 'the exclusive caller waited for the shared one');
    } finally {
      pusher.kill('SIGKILL');
    }
    const mover = await holder(dir, 'repo:a', 10_000, false);
    try {
      const started = Date.now();
      setTimeout(() => mover.kill('SIGTERM'), 400);
      assert.equal(await locks.withSharedLock('repo:a', async () => 'pushed'), 'pushed');
      assert.ok(Date.now() - started >= 350, 'the shared caller waited for the exclusive one');
    } finally {
      mover.kill('SIGKILL');
    }
  });

  it('in one process: shared callers run together, an exclusive one alone, and a waiting exclusive one goes before later shared ones', async () => {
    const locks = new FileLocks(mkdtempSync(join(tmpdir(), 'ferry-locks-')), log);
    const order: string[] = [];
    const job = (name: string, shared: boolean, ms: number) =>
      (shared ? locks.withSharedLock.bind(locks) : locks.withLock.bind(locks))('k', async () => {
        order.push(`${name}+`);
        await new Promise((r) => setTimeout(r, ms));
        order.push(`${name}-`);
      });
    await Promise.all([job('s1', true, 60), job('s2', true, 20), job('x', false, 10), job('s3', true, 10)]);
    assert.deepEqual(order, ['s1+', 's2+', 's2-', 's1-', 'x+', 'x-', 's3+', 's3-']);
  });

  it('queues callers of one process in order, one at a time', async () => {
    const locks = new FileLocks(mkdtempSync(join(tmpdir(), 'ferry-locks-')), log);
    const order: string[] = [];
    const job = (name: string) => locks.withLock('k', async () => {
      order.push(`${name}+`);
      await new Promise((r) => setTimeout(r, 20));
      order.push(`${name}-`);
    });
    await Promise.all([job('a'), job('b'), job('c')]);
    assert.deepEqual(order, ['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
  });
});
