import { strict as assert } from 'node:assert';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, run, tempDir } from './harness.js';

/** A stub program: a bash script that logs its arguments and prints `output` for them. */
function stub(dir: string, name: string, body: string): void {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/bash\necho "${name} $*" >> "${join(dir, 'calls.log')}"\n${body}\n`);
  chmodSync(file, 0o755);
}

/**
 * A fresh checkout on a machine with nothing installed: scripts/start and install-deps.sh copied
 * into an empty project, and a PATH holding only stubs of apt-get, npm and node (which print what
 * the real ones print) and the few tools a bash script needs.
 */
function freshMachine(): { project: string; bin: string } {
  const project = tempDir('ferry-fresh-');
  const bin = join(project, '.stubs');
  mkdirSync(join(project, 'scripts'));
  mkdirSync(join(project, 'native'));
  mkdirSync(bin);
  for (const f of ['start', 'install-deps.sh']) copyFileSync(join(ROOT, 'scripts', f), join(project, 'scripts', f));
  writeFileSync(join(project, 'package-lock.json'), '{}\n');
  writeFileSync(join(project, 'binding.gyp'), '{}\n');
  writeFileSync(join(project, 'native', 'cdn_syscalls.c'), '\n');
  for (const tool of ['dirname', 'sed', 'grep', 'cat', 'bash']) symlinkSync(`/usr/bin/${tool}`, join(bin, tool));
  stub(bin, 'id', 'echo 0');
  stub(
    bin,
    'apt-get',
    `case "$1" in
  update) echo 'Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]'; echo 'Reading package lists...';;
  install) echo 'Reading package lists...'
    echo 'Get:1 http://deb.debian.org/debian bookworm/main amd64 mercurial-common all 6.3.2-1 [2,019 kB]'
    echo 'Get:2 http://deb.debian.org/debian bookworm/main amd64 mercurial amd64 6.3.2-1 [59.4 kB]'
    echo 'Unpacking mercurial (6.3.2-1) ...'
    echo 'Setting up mercurial-common (6.3.2-1) ...'
    echo 'Setting up mercurial (6.3.2-1) ...'
    echo '2 upgraded, 9 newly installed, 0 to remove and 0 not upgraded.';;
esac`,
  );
  stub(
    bin,
    'npm',
    `case "$*" in
  ci*) echo; echo 'added 123 packages in 41s';;
  *build:native*) echo 'gyp info it worked if it ends with ok'; echo 'gyp info ok';;
esac`,
  );
  stub(bin, 'node', 'echo "(node ran: $*)"');
  return { project, bin };
}

describe('scripts/start on a fresh machine', () => {
  it('issue 12.18: says what it does, one line per step, with apt-get and npm progress summarized', async () => {
    const { project, bin } = freshMachine();
    const r = await run('/bin/bash', [join(project, 'scripts', 'start')], { env: { PATH: bin, HOME: project } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(lines, [
      'ferry: [1/4] Debian packages: installing mercurial mercurial-evolve git openssh-client curl build-essential make python3 (apt-get; this is the slow step, a few minutes)',
      '      apt-get update',
      '      Get http://deb.debian.org/debian bookworm',
      '      fetched mercurial-common 6.3.2-1',
      '      fetched mercurial 6.3.2-1',
      '      set up mercurial-common',
      '      set up mercurial',
      '      2 upgraded, 9 newly installed, 0 to remove and 0 not upgraded.',
      'ferry: [2/4] node modules: npm ci (downloads and builds them; a minute or two)',
      '      added 123 packages in 41s',
      'ferry: [3/4] native addon: building native/cdn_syscalls.c (node-gyp)',
      'ferry: [4/4] compiling TypeScript (npm run build)',
      `ferry: starting bin/ferry.js serve (from ${project}; bin/ferry.js help lists the admin commands)`,
      '(node ran: bin/ferry.js serve)',
    ]);
    const calls = readFileSync(join(bin, 'calls.log'), 'utf8');
    assert.match(calls, /^apt-get install -y -q --no-install-recommends -o Dpkg::Progress-Fancy=0 mercurial mercurial-evolve git openssh-client curl build-essential make python3$/m);
    assert.match(calls, /^npm ci --no-audit --no-fund --loglevel=notice$/m);
  });

  it('issue 12.18: says each step is already done on a machine that has everything', async () => {
    const { project, bin } = freshMachine();
    for (const tool of ['hg', 'git', 'ssh', 'curl', 'cc', 'make', 'python3']) stub(bin, tool, '');
    stub(bin, 'dpkg-query', "echo 'install ok installed'");
    mkdirSync(join(project, 'node_modules'));
    writeFileSync(join(project, 'node_modules', '.package-lock.json'), '{}\n');
    mkdirSync(join(project, 'build', 'Release'), { recursive: true });
    writeFileSync(join(project, 'build', 'Release', 'cdn_syscalls.node'), '');
    const r = await run('/bin/bash', [join(project, 'scripts', 'install-deps.sh')], { env: { PATH: bin, HOME: project } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      'ferry: [1/4] Debian packages: all there (mercurial mercurial-evolve git openssh-client curl build-essential make python3)',
      'ferry: [2/4] node modules: up to date',
      'ferry: [3/4] native addon: up to date',
      'ferry: [4/4] compiling TypeScript (npm run build)',
    ]);
    assert.doesNotMatch(readFileSync(join(bin, 'calls.log'), 'utf8'), /^(apt-get|npm ci)/m);
  });

  it('node modules are stale by the lock file\'s contents, not its time: a fresh checkout of the same lock runs no npm ci', async () => {
    const { project, bin } = freshMachine();
    for (const tool of ['hg', 'git', 'ssh', 'curl', 'cc', 'make', 'python3']) stub(bin, tool, '');
    stub(bin, 'dpkg-query', "echo 'install ok installed'");
    mkdirSync(join(project, 'node_modules'));
    writeFileSync(join(project, 'node_modules', '.package-lock.json'), '{}\n');
    mkdirSync(join(project, 'build', 'Release'), { recursive: true });
    writeFileSync(join(project, 'build', 'Release', 'cdn_syscalls.node'), '');
    const installDeps = () => run('/bin/bash', [join(project, 'scripts', 'install-deps.sh')], { env: { PATH: bin, HOME: project } });
    const npmLine = (stdout: string) => stdout.split('\n').find((l) => l.startsWith('ferry: [2/4]'));
    // The first run records what node_modules was installed from.
    assert.equal(npmLine((await installDeps()).stdout), 'ferry: [2/4] node modules: up to date');
    // A checkout (or cp) gives the same lock file a newer time than node_modules.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(project, 'package-lock.json'), later, later);
    const same = await installDeps();
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.equal(npmLine(same.stdout), 'ferry: [2/4] node modules: up to date');
    assert.doesNotMatch(readFileSync(join(bin, 'calls.log'), 'utf8'), /^npm ci/m);
    // Another lock file's contents: npm ci runs.
    writeFileSync(join(project, 'package-lock.json'), '{"lockfileVersion":3}\n');
    const changed = await installDeps();
    assert.equal(changed.code, 0, changed.stdout + changed.stderr);
    assert.equal(npmLine(changed.stdout), 'ferry: [2/4] node modules: npm ci (downloads and builds them; a minute or two)');
    assert.match(readFileSync(join(bin, 'calls.log'), 'utf8'), /^npm ci /m);
  });
});
