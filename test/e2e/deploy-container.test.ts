import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { pushAndCloneBoth } from './deploy-helpers.js';
import { ROOT, makeClient, makeKey, run, tempDir } from './harness.js';
import { freePort } from '../../bench/free-port.js';

/** A Debian 12 base made from Debian's mirror (no image registry is reachable here). */
const BASE = 'localhost/ferry-bookworm-base';
const IMAGE = 'localhost/ferry:e2e';
const LONG = 40 * 60_000;

/**
 * The ulimits of this process, for `podman run`: podman's defaults (nofile 1048576, nproc 32768)
 * are above what a process without CAP_SYS_RESOURCE may set, and crun/runc refuse to start then.
 */
function currentUlimits(): string[] {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const hard = (name: string) => new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, 'm').exec(limits)?.[1] ?? 'unlimited';
  const cap = (v: string, max: number) => (v === 'unlimited' ? max : Math.min(Number(v), max));
  const nofile = cap(hard('Max open files'), 1_048_576);
  const nproc = cap(hard('Max processes'), 32_768);
  return ['--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`];
}

/** CA certificates of a TLS-inspecting proxy this machine trusts, for npm in the build stage. */
function extraCaCerts(): string {
  const dir = '/usr/local/share/ca-certificates';
  if (!existsSync(dir)) return '';
  // As `"$(cat DIR/*.crt)"` gives it (README.md), so a build by hand and this test share layers.
  return readdirSync(dir).filter((n) => n.endsWith('.crt')).sort().map((n) => readFileSync(join(dir, n), 'utf8')).join('').replace(/\n+$/, '');
}

/**
 * How podman runs containers here: its defaults, else runc with this process's ulimits (crun
 * refuses a cgroup v1/v2 hybrid host: "cgroups in hybrid mode not supported"). Undefined, with
 * the reasons, when neither works.
 */
async function podmanFlags(): Promise<{ runtime: string[]; run: string[] } | { reason: string }> {
  if ((await run('sh', ['-c', 'command -v podman'])).code !== 0) return { reason: 'podman is not installed (apt-get install podman mmdebstrap)' };
  if ((await run('podman', ['image', 'exists', BASE])).code !== 0) {
    if ((await run('sh', ['-c', 'command -v mmdebstrap'])).code !== 0) return { reason: `no ${BASE} image and no mmdebstrap to make it` };
    const tar = join(tempDir('ferry-base-'), 'base.tar');
    const made = await run('mmdebstrap', ['--variant=apt', 'bookworm', tar, 'http://deb.debian.org/debian'], { timeoutMs: LONG });
    if (made.code !== 0) return { reason: `mmdebstrap failed: ${made.stderr.trim().split('\n').pop()}` };
    const imported = await run('podman', ['import', tar, BASE], { timeoutMs: LONG });
    if (imported.code !== 0) return { reason: `podman import failed: ${imported.stderr.trim()}` };
  }
  const reasons: string[] = [];
  for (const option of [{ runtime: [], run: [] }, { runtime: ['--runtime', 'runc'], run: currentUlimits() }]) {
    const r = await run('podman', [...option.runtime, 'run', '--rm', ...option.run, BASE, 'true'], { timeoutMs: 120_000 });
    if (r.code === 0) return option;
    reasons.push(`podman ${[...option.runtime, 'run', ...option.run].join(' ')}: ${r.stderr.trim().split('\n').pop()}`);
  }
  return { reason: reasons.join('; ') };
}

// Building the Debian base (mmdebstrap) and the image takes some ten minutes on a 2-core machine,
// a third of the whole suite's time budget: the image is built and run when asked for with
// FERRY_TEST_CONTAINER=1; deploy-entrypoint.test.ts runs the image's entrypoint script in every run.
const optIn = process.env.FERRY_TEST_CONTAINER === '1';
const how = optIn ? await podmanFlags() : { reason: '' };
const skip = !optIn
  ? 'set FERRY_TEST_CONTAINER=1 to build the image and run it with podman (about ten minutes)'
  : 'reason' in how
    ? `containers cannot run on this machine: ${how.reason}`
    : false;
if (skip) console.log(`deploy-container: skipped: ${skip}`);

describe('the container image (Dockerfile), built and run with podman', { skip, timeout: LONG }, () => {
  const runtime = 'runtime' in how ? how.runtime : [];
  const runFlags = 'run' in how ? how.run : [];
  const name = `ferry-e2e-${process.pid}`;
  after(async () => {
    await run('podman', [...runtime, 'rm', '-f', '-v', name]);
    await run('podman', ['volume', 'rm', '-f', `${name}-data`]);
  });

  it('builds, runs as an unprivileged user with the data dir on a volume, is healthy, and serves hg and git clones', async () => {
    const build = await run('podman', [...runtime, 'build', ...runFlags, '--build-arg', `BASE=${BASE}`, '--build-arg', `EXTRA_CA_CERTS=${extraCaCerts()}`, '-t', IMAGE, ROOT], { timeoutMs: LONG });
    assert.equal(build.code, 0, build.stdout.slice(-4000) + build.stderr.slice(-4000));

    const key = await makeKey(tempDir('ferry-container-keys-'), 'id_admin');
    const [sshPort, httpPort] = [await freePort(), await freePort()];
    const started = await run('podman', [...runtime, 'run', '-d', ...runFlags, '--name', name, '-p', `127.0.0.1:${sshPort}:2222`, '-p', `127.0.0.1:${httpPort}:8080`, '-v', `${name}-data:/data`, '-e', `FERRY_BOOTSTRAP_ADMIN_KEYS=${key.publicLine}`, IMAGE]);
    assert.equal(started.code, 0, started.stderr);
    let logs = '';
    for (let i = 0; i < 600 && !logs.includes('ferry: ready'); i++) {
      await sleep(200);
      logs = (await run('podman', ['logs', name])).stdout;
    }
    assert.match(logs, /ferry: ready/, logs);
    assert.match(logs, /created user admin with 1 key\(s\)/);
    assert.match(logs, /ssh listening on 0\.0\.0\.0:2222/);

    assert.equal((await run('podman', [...runtime, 'exec', name, 'id', '-u'])).stdout.trim(), '10001');
    const health = await run('podman', [...runtime, 'healthcheck', 'run', name]);
    assert.equal(health.code, 0, health.stdout + health.stderr);
    const tools = await run('podman', [...runtime, 'exec', name, 'sh', '-c', 'hg version -q && chg version -q && git lfs version && hg help -e evolve | head -1']);
    assert.equal(tools.code, 0, tools.stderr);

    const admin = await makeClient({ sshPort }, 'admin', key);
    await pushAndCloneBoth(admin);
    const page = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${httpPort}/healthz`]);
    assert.equal(page.stdout, '200');

    // The data is on the volume: a new container on it has the repos and the admin.
    await run('podman', [...runtime, 'rm', '-f', name]);
    const again = await run('podman', [...runtime, 'run', '--rm', ...runFlags, '-v', `${name}-data:/data`, IMAGE, 'repo', 'list']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /team\/hgrepo/);
    assert.match(again.stdout, /team\/gitrepo/);
  });
});
