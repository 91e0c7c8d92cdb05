import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMMAND_HELP } from '../../src/cli/help.js';
import { FERRY_BIN, ROOT, ferryCli, run, tempDir } from './harness.js';

/** Runs the CLI as a person does from the checkout: `bin/ferry.js …` with the checkout as cwd. */
function asUser(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return run(join(ROOT, 'bin', 'ferry.js'), args, { cwd: ROOT, env: { ...process.env, ...env } });
}

/** Splits a hint line made of plain words (the hints never need quoting in these tests). */
function words(command: string): string[] {
  return command.trim().split(/\s+/);
}

describe('ferry CLI: the first ten minutes', () => {
  it('issue 12.19: --help works on every command, before or after its arguments, and help COMMAND too', async () => {
    for (const name of Object.keys(COMMAND_HELP)) {
      for (const args of [[name, '--help'], ['help', name], ...(name === 'serve' ? [[name, '-h'], ['--help', name]] : [])]) {
        const r = await asUser(args);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^usage: bin/ferry\\.js ${name.replace('-', '\\-')}`), args.join(' '));
        assert.equal(r.stderr, '');
      }
    }
    const sub = await asUser(['user', 'add', 'someone', '--help']);
    assert.equal(sub.code, 0, sub.stderr);
    assert.match(sub.stdout, /user passwd NAME/);
    const unknown = await asUser(['help', 'nope']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'ferry: unknown command "nope"; bin/ferry.js help lists them\n');
  });

  it('issue 12.19: --data goes anywhere on the command line, and a missing directory is a usage error', async () => {
    const data = tempDir();
    assert.equal((await asUser(['user', 'add', 'alice', '--data', data])).code, 0);
    assert.equal((await asUser(['user', '--data', data, 'add', 'bob', '--admin'])).code, 0);
    assert.equal((await asUser([`--data=${data}`, 'user', 'add', 'carol'])).code, 0);
    const list = await asUser(['user', 'list', '--data', data]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^alice\s+user/m);
    assert.match(list.stdout, /^bob\s+admin/m);
    assert.match(list.stdout, /^carol\s+user/m);
    const missing = await asUser(['user', 'list', '--data']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^ferry: --data needs a directory/);
  });

  it('issue 12.19 (kind): a second --data, a mistyped one, a move to the same path, an unknown user: one clear line each, right exit', async () => {
    const data = tempDir();
    const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const twice = await asUser(['--data', data, 'user', 'list', '--data', `${data}-other`]);
    assert.equal(twice.code, 2);
    assert.equal(twice.stderr, `ferry: --data was given twice (${data} and ${data}-other); give it once\n`);
    const typo = join(data, 'no-such-dir');
    const made = await asUser(['--data', typo, 'user', 'list']);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stderr, new RegExp(`^ferry: ${esc(typo)} did not exist: starting a new, empty data dir there \\(if you meant another, check --data or FERRY_DATA\\)\n$`));
    assert.equal((await asUser(['--data', typo, 'user', 'list'])).stderr, '', 'said once, when the dir is made');
    // Hints name the data dir given, so pasting one reaches the same install.
    const added = await asUser(['--data', data, 'user', 'add', 'erin']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, new RegExp(`next: bin/ferry\\.js --data ${esc(data)} key add erin `));
    assert.equal((await asUser(['--data', data, 'repo', 'create', 'erin/app'])).code, 0);
    const again = await asUser(['--data', data, 'user', 'add', 'erin']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'ferry: user erin already exists\n', 'an existing user is named as such, though repos are under erin/');
    const same = await asUser(['--data', data, 'repo', 'mv', 'erin/app', 'erin/app']);
    assert.equal(same.code, 1);
    assert.equal(same.stderr, 'ferry: erin/app is already at erin/app; give the new path (changing only the case of letters is a move too)\n');
    assert.match((await asUser(['--data', data, 'repo', 'list'])).stdout, /^erin\/app\s/m);
    const ghost = await asUser(['--data', data, 'grant', 'ghost', 'erin/app', 'read']);
    assert.equal(ghost.code, 1, 'an unknown user is bad input, not a usage error');
    assert.equal(ghost.stderr, `ferry: no user named ghost; add it first: bin/ferry.js --data ${data} user add ghost\n`);
    const dash = await asUser(['--data', data, 'token', 'add', 'erin', '--expires', '-5d']);
    assert.equal(dash.code, 2);
    assert.match(dash.stderr, /^ferry: --expires takes a value; one that starts with - is written --expires=VALUE; usage: /, 'not node\'s "argument is ambiguous"');
    const negative = await asUser(['--data', data, 'token', 'add', 'erin', '--expires=-5d']);
    assert.equal(negative.code, 1);
    assert.equal(negative.stderr, 'ferry: invalid duration "-5d": write it like 12h, 30d or 90d (from 1h to 3660d)\n');
    const zero = await asUser(['--data', data, 'token', 'add', 'erin', '--expires', '0']);
    assert.equal(zero.code, 1);
    assert.doesNotMatch(zero.stderr, /30s|5m/, 'the hint names only durations a token may have');
    const usage = await asUser(['--data', data, 'repo', 'set']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, new RegExp(`usage: bin/ferry\\.js --data ${esc(data)} repo set PATH`), 'usage lines name the program as it was run');
  });

  it('issue 12.19: the start-up hint and every "next:" hint name a command that runs', async () => {
    const data = tempDir();
    const server = spawn(join(ROOT, 'bin', 'ferry.js'), ['serve', '--data', data], {
      cwd: ROOT,
      env: { ...process.env, FERRY_SSH_PORT: '0', FERRY_HTTP_PORT: '0', FERRY_LOG_LEVEL: 'warn', FERRY_CDN_WORKERS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    server.stdout.on('data', (b: Buffer) => (output += b.toString()));
    server.stderr.on('data', (b: Buffer) => (output += b.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ready line:\n${output}`)), 30_000);
        server.stdout.on('data', () => output.includes('ferry: ready') && (clearTimeout(timer), resolve()));
        server.on('exit', (code) => reject(new Error(`serve exited ${code}:\n${output}`)));
      });
    } finally {
      server.kill('SIGTERM');
    }
    const hint = /^ {2}(\S.*)$/m.exec(output.slice(output.indexOf('no users yet')))?.[1];
    assert.ok(hint, output);
    const key = join(tempDir(), 'id_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const commands = hint.replace('~/.ssh/id_ed25519.pub', `${key}.pub`).split(' && ');
    assert.equal(commands.length, 2, hint);
    assert.equal(hint.split('--data').length - 1, 2, `each of the two commands names --data once: ${hint}`);
    for (const command of commands) {
      const [program, ...args] = words(command);
      assert.equal(program, 'bin/ferry.js', command);
      const r = await run(program as string, args, { cwd: ROOT });
      assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    }
    const added = await asUser(['--data', data, 'user', 'add', 'dora']);
    const next = /next: (.*)$/m.exec(added.stdout)?.[1];
    assert.ok(next, added.stdout);
    const [program, ...args] = words(next.replace('~/.ssh/id_ed25519.pub', `${key}.pub`));
    assert.equal(program, 'bin/ferry.js');
    // The same key may belong to one user only: the hint's command runs and says so.
    const r = await run(program as string, ['--data', data, ...args], { cwd: ROOT });
    assert.match(r.stderr, /^ferry: key SHA256:\S+ is already in use \(each key identifies one user or one deploy key\); nothing was added/);
    assert.ok(FERRY_BIN.endsWith(join('bin', 'ferry.js')));
  });

  it('issue 16/17 (kind): every id, option value and path given to the CLI is checked, with one line saying what to type', async () => {
    const base = tempDir('ferry-cli-values-');
    const data = join(base, 'data');
    const cli = (args: readonly string[]) => ferryCli(data, args);
    const oneLine = (r: { code: number; stderr: string }, code: number, pattern: RegExp, what: string) => {
      assert.equal(r.code, code, `${what}: exit ${r.code}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${what}: one line, got ${r.stderr}`);
      assert.match(lines[0] as string, pattern, what);
      assert.doesNotMatch(r.stderr, /internal error|To specify a positional|EISDIR|EEXIST|    at /, what);
      assert.ok((lines[0] as string).length < 400, `${what}: a short line`);
    };
    assert.equal((await cli(['user', 'add', 'alice'])).code, 0);
    assert.equal((await cli(['repo', 'create', 'alice/app', '--git'])).code, 0);

    // Ids: positive whole numbers, never node's own parse text.
    oneLine(await cli(['hook', 'redeliver', 'alice/app', '-1']), 2, /^ferry: "-1" is not a valid value here: ids and counts are positive whole numbers/, 'redeliver -1');
    oneLine(await cli(['hook', 'redeliver', 'alice/app', '0']), 2, /^ferry: the delivery id must be a positive whole number \(ids start at 1\), not "0"; .* hook deliveries PATH HOOK shows them$/, 'redeliver 0');
    oneLine(await cli(['hook', 'rm', 'alice/app', '1.5']), 2, /^ferry: the hook id must be a positive whole number/, 'hook rm 1.5');
    oneLine(await cli(['hook', 'deliveries', 'alice/app', 'abc']), 2, /^ferry: the hook id must be a positive whole number/, 'deliveries abc');
    oneLine(await cli(['token', 'rm', 'alice', '-5']), 2, /ids and counts are positive whole numbers/, 'token rm -5');
    oneLine(await cli(['token', 'rm', 'alice', '1e3']), 2, /^ferry: the token id must be a positive whole number/, 'token rm 1e3');
    oneLine(await cli(['repo', 'list', '--bogus']), 2, /^ferry: unknown option "--bogus"; usage: /, 'unknown option');

    // Option values: a URL has a maximum length, an empty secret is refused, labels are one line.
    oneLine(await cli(['hook', 'add', 'alice/app', `https://ci.example.com/${'a'.repeat(10_000)}`]), 1, /^ferry: a webhook URL is at most 2048 characters \(this one has 10023\)/, 'long URL');
    oneLine(await cli(['hook', 'add', 'alice/app', 'https://ci.example.com/hook', '--secret', '']), 2, /^ferry: --secret needs a value, not an empty one: leave --secret out for a hook whose deliveries are not signed, or give the secret/, 'empty secret');
    oneLine(await cli(['hook', 'add', 'alice/app', 'https://ci.example.com/hook', '--secret', 'x'.repeat(300)]), 1, /^ferry: a webhook secret is at most 255 characters/, 'long secret');
    oneLine(await cli(['hook', 'add', 'alice/app', 'ftp://ci.example.com/hook']), 1, /use https:\/\/ or http:\/\//, 'ftp URL');
    oneLine(await cli(['token', 'add', 'alice', '--label', 'a\nb']), 2, /^ferry: --label must be one line/, 'label with a newline');
    oneLine(await cli(['token', 'add', 'alice', '--expires', '']), 2, /^ferry: --expires needs a value/, 'empty --expires');
    assert.equal((await cli(['hook', 'list', 'alice/app'])).stdout.trim().split('\n').length, 1, 'no hook was added by the refused commands');

    // Paths: a data dir that is a file, a directory where a file is wanted and the reverse.
    const file = join(base, 'afile');
    writeFileSync(file, 'keep me\n');
    const dir = join(base, 'adir');
    mkdirSync(dir);
    for (const args of [['user', 'list'], ['backup', join(base, 'b.tar')], ['restore', join(base, 'b.tar')], ['serve']]) {
      const r = await ferryCli(file, args);
      oneLine(r, 1, /^ferry: the data dir \S+afile is a file, not a directory; give Ferry's data directory with --data DIR/, `--data FILE ${args[0]}`);
    }
    assert.equal(readFileSync(file, 'utf8'), 'keep me\n', 'the file given as data dir is untouched');
    oneLine(await cli(['backup', dir]), 1, /^ferry: \S+adir is a directory; give a file name/, 'backup DIR');
    oneLine(await cli(['backup', join(file, 'b.tar')]), 1, /^ferry: \S+afile is a file, so the backup cannot go under it; give a path in a directory$/, 'backup under a file');
    const empty = join(base, 'restored');
    oneLine(await ferryCli(empty, ['restore', dir]), 1, /^ferry: the backup \S+adir is a directory; give the file itself$/, 'restore DIR');
    oneLine(await ferryCli(empty, ['restore', join(base, 'none.tar')]), 1, /^ferry: the backup \S+none\.tar does not exist; check the path$/, 'restore a missing file');
    oneLine(await cli(['key', 'add', 'alice', dir]), 1, /^ferry: the file \S+adir is a directory; give the file itself$/, 'key add DIR');
    oneLine(await cli(['import', '--from', dir]), 1, /^ferry: the --from list \S+adir is a directory/, 'import --from DIR');
    oneLine(await cli(['publish', 'alice/app', '--dir', file]), 1, /^ferry: the --dir \S+afile is a file; give a directory/, 'publish --dir FILE');
    assert.equal(readFileSync(file, 'utf8'), 'keep me\n');
  });
});
