/**
 * Helpers for the deploy tests (container entrypoint, systemd unit, image): start a program that
 * ends in `ferry serve`, wait for it to be ready, and clone from it with hg and git over SSH as
 * the admin that FERRY_BOOTSTRAP_ADMIN_KEYS made.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLAIN_GIT_ENV, expectOk, runOk, tempDir, type Client } from './harness.js';

export interface ServingProcess {
  readonly child: ChildProcess;
  readonly sshPort: number;
  readonly httpPort: number;
  output(): string;
  stop(): Promise<void>;
}

/** Spawns `cmd args` (argument array, no shell) and waits up to `timeoutMs` for `ferry: ready`. */
export async function startServing(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<ServingProcess> {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString('utf8')));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString('utf8')));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.once('exit', () => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not become ready:\n${output}`)), timeoutMs);
    const check = () => {
      if (!output.includes('ferry: ready')) return;
      clearTimeout(timer);
      resolve();
    };
    child.stdout?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited (${child.exitCode ?? child.signalCode}) before ready:\n${output}`));
    });
  });
  return {
    child,
    sshPort: Number(/ssh listening on \S*:(\d+)/.exec(output)?.[1] ?? 0),
    httpPort: Number(/http listening on \S*:(\d+)/.exec(output)?.[1] ?? 0),
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * As `admin` (a client made for the server's SSH port on 127.0.0.1), creates an hg and a git repo
 * over SSH and pushes to them, then clones both and checks the clones hold what was pushed.
 */
export async function pushAndCloneBoth(admin: Client): Promise<void> {
  const work = tempDir('ferry-deploy-work-');
  const hgRepo = join(work, 'hg');
  await expectOk(admin.hg(['init', hgRepo]));
  writeFileSync(join(hgRepo, 'a.txt'), 'hello from hg\n');
  await expectOk(admin.hg(['-R', hgRepo, 'commit', '-A', '-m', 'first']));
  await expectOk(admin.ssh(['127.0.0.1', 'hg', 'init', 'team/hgrepo']), 'hg init over ssh');
  await expectOk(admin.hg(['-R', hgRepo, 'push', admin.sshUrl('team/hgrepo')]), 'hg push');
  const hgClone = join(work, 'hg-clone');
  await expectOk(admin.hg(['clone', admin.sshUrl('team/hgrepo'), hgClone]), 'hg clone');
  assert.equal((await admin.hg(['cat', '-r', 'tip', 'a.txt'], { cwd: hgClone })).stdout, 'hello from hg\n');

  const gitRepo = join(work, 'git');
  await runOk('git', ['init', '-q', '-b', 'main', gitRepo], { env: PLAIN_GIT_ENV });
  writeFileSync(join(gitRepo, 'b.txt'), 'hello from git\n');
  await runOk('git', ['-C', gitRepo, 'add', '.'], { env: PLAIN_GIT_ENV });
  await runOk('git', ['-C', gitRepo, 'commit', '-q', '-m', 'first'], { env: PLAIN_GIT_ENV });
  await expectOk(admin.git(['-C', gitRepo, 'push', admin.sshUrl('team/gitrepo'), 'main']), 'git push');
  const gitClone = join(work, 'git-clone');
  await expectOk(admin.git(['clone', '-q', admin.sshUrl('team/gitrepo'), gitClone]), 'git clone');
  assert.equal((await admin.git(['-C', gitClone, 'show', 'HEAD:b.txt'])).stdout, 'hello from git\n');
}
