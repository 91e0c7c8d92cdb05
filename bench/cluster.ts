/**
 * SQLite vs PostgreSQL, and push-to-fresh across nodes (issue 18):
 * - the same operations on one SQLite node and one PostgreSQL node, in one run: SSH clone and push
 *   latency (git), a repo page render, an API listing; the PostgreSQL/SQLite ratio of medians is
 *   printed (target: at most 1.2 on every row);
 * - three PostgreSQL nodes on one data dir: a push through node 1, then the time until nodes 2 and
 *   3 serve the pushed file from their CDN (median and max, from the push's start).
 * Usage: `node dist/bench/cluster.js [ITERATIONS]` (default 20). Needs Debian's postgresql.
 * Every server listens on loopback; the run stops by itself.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster } from '../test/e2e/cluster.js';
import { PLAIN_GIT_ENV, addUser, makeClient, run, startFerry, tempDir, type Client, type FerryServer } from '../test/e2e/harness.js';
import { startPostgres } from '../test/support/postgres.js';

const iterations = Math.max(1, Number(process.argv[2] ?? 20));

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Fails the run when a client command failed: a fast failure must never pass for a fast operation. */
async function ok(result: Promise<{ code: number; stderr: string }>): Promise<void> {
  const r = await result;
  if (r.code !== 0) throw new Error(r.stderr);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function mustRun(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const r = await run(cmd, args, { env });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** Milliseconds per operation on one server (medians of `iterations` runs). */
async function measure(server: FerryServer, client: Client, token: string): Promise<Map<string, number>> {
  await server.cliOk(['repo', 'create', 'bench/site', '--git', '--public']);
  for (let i = 0; i < 30; i++) await server.cliOk(['repo', 'create', `bench/r${i}`, '--git']);
  const work = join(tempDir('ferry-bench-w-'), 'w');
  await mustRun('git', ['init', '-q', '-b', 'main', work], PLAIN_GIT_ENV);
  const url = `ssh://git@127.0.0.1:${server.sshPort}/bench/site`;
  const results = new Map<string, number[]>([['ssh push (git)', []], ['ssh clone (git)', []], ['repo page', []], ['api /user/repos', []]]);
  for (let i = 0; i < iterations; i++) {
    writeFileSync(join(work, 'index.html'), `v${i}\n`);
    await mustRun('git', ['-C', work, 'add', '-A'], PLAIN_GIT_ENV);
    await mustRun('git', ['-C', work, 'commit', '-q', '-m', `v${i}`], PLAIN_GIT_ENV);
    results.get('ssh push (git)')!.push(await timed(() => ok(client.git(['-C', work, 'push', '-q', url, 'main']))));
    const dest = join(tempDir('ferry-bench-c-'), 'c');
    results.get('ssh clone (git)')!.push(await timed(() => ok(client.git(['clone', '-q', url, dest]))));
    results.get('repo page')!.push(await timed(async () => (await fetch(`${server.baseUrl}/bench/site`)).text()));
    results.get('api /user/repos')!.push(await timed(async () => (await fetch(`${server.baseUrl}/api/v1/user/repos?limit=50`, { headers: { authorization: `token ${token}` } })).text()));
  }
  return new Map([...results].map(([k, v]) => [k, median(v)]));
}

async function oneNode(env: NodeJS.ProcessEnv): Promise<Map<string, number>> {
  const server = await startFerry({ env, readyTimeoutMs: 120_000 });
  try {
    const alice = await addUser(server, 'alice', { admin: true });
    const token = (await server.cliOk(['token', 'add', 'alice'])).stdout.trim().split(/\s+/).pop() as string;
    return await measure(server, alice, token);
  } finally {
    await server.stop();
  }
}

async function pushToFresh(): Promise<number[]> {
  const cluster = await startCluster();
  try {
    await cluster.cliOk(['user', 'add', 'alice', '--admin']);
    const client = await makeClient(cluster.nodes[0]!, 'alice');
    await cluster.cliOk(['key', 'add', 'alice', client.key.publicPath]);
    await cluster.cliOk(['repo', 'create', 'bench/site', '--git', '--public']);
    const work = join(tempDir('ferry-bench-f-'), 'w');
    await mustRun('git', ['init', '-q', '-b', 'main', work], PLAIN_GIT_ENV);
    const url = `ssh://git@127.0.0.1:${cluster.nodes[0]!.sshPort}/bench/site`;
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      writeFileSync(join(work, 'index.html'), `v${i}\n`);
      await mustRun('git', ['-C', work, 'add', '-A'], PLAIN_GIT_ENV);
      await mustRun('git', ['-C', work, 'commit', '-q', '-m', `v${i}`], PLAIN_GIT_ENV);
      const started = Date.now();
      const push = client.git(['-C', work, 'push', '-q', url, 'main']);
      await Promise.all(
        cluster.nodes.slice(1).map(async (n) => {
          for (let tries = 0; tries < 2_000; tries++) {
            const r = await fetch(`${n.baseUrl}/cdn/bench/site/index.html`).catch(() => undefined);
            if (r && (await r.text()) === `v${i}\n`) break;
            await new Promise((res) => setTimeout(res, 5));
          }
          samples.push(Date.now() - started);
        }),
      );
      await ok(push);
    }
    return samples;
  } finally {
    await cluster.stop();
  }
}

const sqlite = await oneNode({});
const pg = await startPostgres();
let postgres: Map<string, number>;
try {
  postgres = await oneNode({ FERRY_DATABASE_URL: pg.url });
} finally {
  await pg.stop();
}
console.log(`SQLite vs PostgreSQL, one node, median of ${iterations} (ms)`);
console.log('operation'.padEnd(20), 'sqlite'.padStart(9), 'postgres'.padStart(9), 'ratio'.padStart(7));
for (const [op, ms] of sqlite) {
  const other = postgres.get(op) ?? NaN;
  console.log(op.padEnd(20), ms.toFixed(1).padStart(9), other.toFixed(1).padStart(9), (other / ms).toFixed(2).padStart(7), other / ms <= 1.2 ? '' : '  over 1.2');
}
const fresh = await pushToFresh();
console.log(`push-to-fresh across 3 nodes (ms from the push's start until nodes 2 and 3 serve it): median ${median(fresh)}, max ${Math.max(...fresh)}`);
process.exit(0);
