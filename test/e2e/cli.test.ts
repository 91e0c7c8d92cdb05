import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ferryCli, makeKey, tempDir } from './harness.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

describe('ferry admin CLI', () => {
  it('adds users and keys, refusing a key that is already registered and adding nothing from a file with one', async () => {
    const data = tempDir();
    const keys = tempDir();
    const a = await makeKey(keys, 'a');
    const b = await makeKey(keys, 'b', 'ecdsa');
    const c = await makeKey(keys, 'c', 'rsa');
    assert.equal((await ferryCli(data, ['user', 'add', 'alice'])).code, 0);
    assert.equal((await ferryCli(data, ['user', 'add', 'bob'])).code, 0);
    const dup = await ferryCli(data, ['user', 'add', 'Alice']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^ferry: user Alice already exists\n$/);

    const authorized = join(keys, 'authorized_keys');
    writeFileSync(authorized, `# team keys\n\n${a.publicLine}\nno-pty,command="echo hi there" ${b.publicLine}\n${c.publicLine}\n`);
    const added = await ferryCli(data, ['key', 'add', 'alice', authorized]);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout.trim().split('\n').length, 3);

    const again = await ferryCli(data, ['key', 'add', 'bob', a.publicPath]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already in use .*; nothing was added/);

    const list = await ferryCli(data, ['key', 'list', 'alice']);
    for (const k of [a, b, c]) assert.ok(list.stdout.includes(k.fingerprint), `${k.fingerprint} listed`);

    const fromStdin = await makeKey(keys, 'd');
    const viaStdin = await ferryCli(data, ['key', 'add', 'bob', '-'], { input: fromStdin.publicLine });
    assert.equal(viaStdin.code, 0, viaStdin.stderr);

    const bad = await ferryCli(data, ['key', 'add', 'bob', '-'], { input: 'ssh-dss AAAAB3NzaC1kc3MAAACBA nope\n' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ssh-dss is not accepted/);

    assert.equal((await ferryCli(data, ['key', 'rm', 'alice', a.fingerprint])).code, 0);
    assert.ok(!(await ferryCli(data, ['key', 'list', 'alice'])).stdout.includes(a.fingerprint));
  });

  it('creates, lists, moves and removes repos at any depth, refusing nesting and bad paths', async () => {
    const data = tempDir();
    assert.equal((await ferryCli(data, ['repo', 'create', 'team/web/app'])).code, 0);
    assert.equal((await ferryCli(data, ['repo', 'create', 'team/lib', '--git', '--public'])).code, 0);
    const nested = await ferryCli(data, ['repo', 'create', 'team/web/app/inner']);
    assert.equal(nested.code, 1);
    assert.match(nested.stderr, /may not nest/);
    for (const bad of ['../etc', '/abs/../x', 'a//b', 'a/-rf', 'a/.hg', 'x y']) {
      const r = await ferryCli(data, ['repo', 'create', bad]);
      assert.equal(r.code, 1, bad);
      assert.match(r.stderr, /^ferry: invalid repository path/, bad);
    }
    const list = await ferryCli(data, ['repo', 'list']);
    assert.match(list.stdout, /team\/lib\s+git\s+public/);
    assert.match(list.stdout, /team\/web\/app\s+hg\s+private/);
    assert.equal((await ferryCli(data, ['repo', 'mv', 'team/web/app', 'apps/app'])).code, 0);
    assert.match((await ferryCli(data, ['repo', 'list'])).stdout, /apps\/app\s+hg/);
    assert.equal((await ferryCli(data, ['repo', 'rm', 'apps/app'])).code, 0);
    assert.doesNotMatch((await ferryCli(data, ['repo', 'list'])).stdout, /apps\/app/);
  });

  it('answers usage errors with exit 2 and one line', async () => {
    const data = tempDir();
    const r = await ferryCli(data, ['repo', 'create']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^ferry: usage: \S*ferry\S* repo create PATH/);
    const unknown = await ferryCli(data, ['nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^ferry: unknown command "nope"; \S+ help lists them\n$/);
    const level = await ferryCli(data, ['grant', 'x', 'y/', 'root']);
    assert.equal(level.code, 2);
    assert.equal(level.stderr, 'ferry: unknown level "root": use read, write or admin\n');
  });
});
