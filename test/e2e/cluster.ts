/**
 * A Ferry cluster for the multi-node tests, started by the tests themselves: a throwaway
 * PostgreSQL (test/support/postgres.ts), three `ferry serve` nodes sharing one data dir (each with
 * its own ports and `[server] run_dir`), and Debian's haproxy in front, run with the very config
 * the README gives (deploy/haproxy.cfg).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startPostgres, type ThrowawayPostgres } from '../support/postgres.js';
import { ROOT, ferryCli, startFerry, tempDir, type FerryServer, type RunOptions, type RunResult } from './harness.js';

export const HAPROXY_CONFIG = join(ROOT, 'deploy', 'haproxy.cfg');

export interface Cluster {
  readonly pg: ThrowawayPostgres;
  readonly dataDir: string;
  readonly nodes: FerryServer[];
  /** haproxy's HTTP and SSH ports. */
  readonly lbHttpPort: number;
  readonly lbSshPort: number;
  readonly lbUrl: string;
  /** `ferry --data DIR …` with the cluster's database (as an operator runs it on any node). */
  cli(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  cliOk(args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** The node (index into `nodes`) whose process has pid `pid`. */
  nodeByPid(pid: number): number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Starts PostgreSQL, `count` nodes on one data dir, and haproxy; `env` is given to every node. */
export async function startCluster(options: { env?: NodeJS.ProcessEnv; count?: number } = {}): Promise<Cluster> {
  const pg = await startPostgres();
  const dataDir = tempDir('ferry-cluster-data-');
  const env = { FERRY_DATABASE_URL: pg.url, ...(options.env ?? {}) };
  const start = (i: number): Promise<FerryServer> => startFerry({ dataDir, env: { ...env, FERRY_SERVER_RUN_DIR: tempDir(`ferry-run-node${i + 1}-`) }, readyTimeoutMs: 120_000 });
  // The first node alone makes the schema, host keys and secrets; the others find them made. One
  // after the other: three starts at once on two busy cores can outlast the harness's wait.
  const nodes: FerryServer[] = [];
  for (let i = 0; i < (options.count ?? 3); i++) nodes.push(await start(i));
  const lbHttpPort = await freePort();
  const lbSshPort = await freePort();
  const lbEnv: NodeJS.ProcessEnv = { ...process.env, LB_HTTP_BIND: `127.0.0.1:${lbHttpPort}`, LB_SSH_BIND: `127.0.0.1:${lbSshPort}` };
  nodes.forEach((n, i) => {
    lbEnv[`NODE${i + 1}_HTTP`] = `127.0.0.1:${n.httpPort}`;
    lbEnv[`NODE${i + 1}_SSH`] = `127.0.0.1:${n.sshPort}`;
  });
  const haproxy: ChildProcess = spawn('haproxy', ['-db', '-f', HAPROXY_CONFIG], { env: lbEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let lbOutput = '';
  haproxy.stdout?.on('data', (b: Buffer) => (lbOutput += b.toString()));
  haproxy.stderr?.on('data', (b: Buffer) => (lbOutput += b.toString()));
  process.on('exit', () => haproxy.kill('SIGKILL'));
  const lbUrl = `http://127.0.0.1:${lbHttpPort}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (haproxy.exitCode !== null) throw new Error(`haproxy exited: ${lbOutput}`);
    const ok = await fetch(`${lbUrl}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`haproxy did not answer: ${lbOutput}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const cli = (args: readonly string[], o: RunOptions = {}) => ferryCli(dataDir, args, { ...o, env: { ...env, ...(o.env ?? {}) } });
  return {
    pg,
    dataDir,
    nodes,
    lbHttpPort,
    lbSshPort,
    lbUrl,
    cli,
    async cliOk(args, o) {
      const r = await cli(args, o);
      if (r.code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r;
    },
    nodeByPid(pid) {
      const i = nodes.findIndex((n) => n.process.pid === pid);
      if (i < 0) throw new Error(`no node has pid ${pid}`);
      return i;
    },
    async stop() {
      haproxy.kill('SIGTERM');
      await Promise.all(nodes.map((n) => n.stop()));
      await pg.stop();
    },
  };
}
