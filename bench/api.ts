/**
 * REST API speed with 1,000 repositories: the repo listings (`/repos/search`, `/user/repos`, a
 * page of 50 out of 1,000, each filtered through the access policy) and a `contents` call.
 * Prints the server time (the API's `Server-Timing: app;dur=` header) and the client's wall time,
 * median (p90) over BENCH_RUNS requests after warm-ups, against the target of 50 ms server time.
 *
 *   npm run build && node dist/bench/api.js        (BENCH_REPOS=1000 BENCH_RUNS=30 by default)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const REPOS = Number(process.env.BENCH_REPOS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const TARGET_MS = 50;
const children: ChildProcess[] = [];
const temps: string[] = [];

process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM');
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

function runOk(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { env: options.env ?? process.env, cwd: options.cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

function stats(values: number[]): { median: number; p90: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] as number, p90: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))] as number };
}

async function time(url: string, token: string): Promise<{ server: number[]; wall: number[] }> {
  const server: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < RUNS + 3; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { Authorization: `token ${token}` } });
    await res.arrayBuffer();
    const elapsed = performance.now() - t0;
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    if (i < 3) continue;
    wall.push(elapsed);
    server.push(Number(/app;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN));
  }
  return { server, wall };
}

async function main(): Promise<void> {
  const data = mkdtempSync(join(tmpdir(), 'ferry-bench-api-'));
  temps.push(data);
  const ferry = (args: string[]) => runOk(process.execPath, [join(ROOT, 'bin', 'ferry.js'), '--data', data, ...args]);
  ferry(['user', 'add', 'bench', '--admin']);
  const token = /(ferry_[A-Za-z0-9_-]+)/.exec(ferry(['token', 'add', 'bench']))?.[1] as string;
  const port = await freePort();
  const server = spawn(process.execPath, [join(ROOT, 'bin', 'ferry.js'), '--data', data, 'serve'], {
    env: { ...process.env, FERRY_HTTP_PORT: String(port), FERRY_SSH_PORT: '0', FERRY_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  children.push(server);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/healthz`);

  console.log(`creating ${REPOS} repositories through the API`);
  const names = Array.from({ length: REPOS }, (_, i) => `repo-${String(i).padStart(4, '0')}`);
  for (let i = 0; i < names.length; i += 8) {
    await Promise.all(
      names.slice(i, i + 8).map(async (name, j) => {
        const res = await fetch(`${base}/api/v1/user/repos`, {
          method: 'POST',
          headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name, vcs: (i + j) % 2 === 0 ? 'git' : 'hg', private: (i + j) % 3 === 0 }),
        });
        if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${await res.text()}`);
      }),
    );
  }
  const work = mkdtempSync(join(tmpdir(), 'ferry-bench-api-work-'));
  temps.push(work);
  const gitEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: work, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
  runOk('git', ['init', '-q', '-b', 'main', 'w'], { env: gitEnv, cwd: work });
  writeFileSync(join(work, 'w', 'README.md'), '# bench\n'.repeat(200));
  runOk('git', ['-C', 'w', 'add', '-A'], { env: gitEnv, cwd: work });
  runOk('git', ['-C', 'w', 'commit', '-q', '-m', 'bench'], { env: gitEnv, cwd: work });
  runOk('git', ['-C', 'w', 'push', '-q', `http://bench:${token}@127.0.0.1:${port}/bench/repo-0000`, 'main'], { env: gitEnv, cwd: work });

  console.log(`${RUNS} timed requests each after 3 warm-ups; median (p90) ms; target: server time under ${TARGET_MS} ms`);
  console.log('request                                   server          wall            under target');
  const rows: [string, string][] = [
    ['/repos/search (50 of 1,000)', `${base}/api/v1/repos/search?limit=50`],
    ['/repos/search?q=repo-09 (page 2)', `${base}/api/v1/repos/search?q=repo-09&limit=50&page=2`],
    ['/user/repos (50 of 1,000)', `${base}/api/v1/user/repos?limit=50&page=10`],
    ['/contents/README.md', `${base}/api/v1/repos/bench/repo-0000/contents/README.md`],
  ];
  let ok = true;
  for (const [name, url] of rows) {
    const t = await time(url, token);
    const s = stats(t.server);
    const w = stats(t.wall);
    const under = s.median < TARGET_MS;
    ok &&= under;
    console.log(`${name.padEnd(41)} ${`${s.median.toFixed(1)} (${s.p90.toFixed(1)})`.padEnd(15)} ${`${w.median.toFixed(1)} (${w.p90.toFixed(1)})`.padEnd(15)} ${under ? 'yes' : 'NO'}`);
  }
  process.exitCode = ok ? 0 : 1;
}

await main();
