/**
 * CDN benchmark: requests/s and p99 latency through Ferry's /cdn vs nginx serving the same files
 * from a tmpfs, same machine, same run, same load generator (wrk):
 *   identical — one 5 KB and one 100 KB file, plain and gzip, the same request over and over;
 *   mix       — real browser traffic: every file of the corpus, headers that vary per request as
 *               browsers' do (user agents, referers, cookies on half, Sec-Fetch-*, three
 *               Accept-Encoding sets), about a third revalidations with the right ETag;
 *   cold      — the first request for a file after a push, and for a tag never served before;
 *   big       — a repo whose tree is bigger than the CDN's memory budget: its small files under
 *               load, and the RSS of the primary and the workers against the budget;
 *   https     — the identical files over TLS (HTTP/1.1 keep-alive, as wrk speaks it): Ferry with
 *               [http] tls_cert/tls_key, its workers ending TLS, against nginx with the same
 *               certificate and key;
 *   soak      — (only when named) the mix for --soak-minutes with a push every 3 s: RSS and open
 *               file descriptors of the primary and each worker at the start and at the end.
 * Then push-to-fresh latency: push a commit, poll the branch URL until it shows.
 *
 *   npm run build && node dist/bench/cdn.js [--duration 8] [--connections 50] [--rounds 3] [--workers N] [--only '100 KB']
 *     [--cases identical,mix,cold,big,https,soak] [--big-mb 1024] [--memory 300MB] [--soak-minutes 10]
 *   (--workers 0: one CDN worker per core, Ferry's default; 1: the single ferry serve process;
 *   --only: the identical cases whose '<size> <plain|gzip>' label holds this text)
 *
 * Each case runs nginx and Ferry alternately, --rounds times each, and compares the medians: on a
 * 2-core machine shared with the load generator one run swings by ±20%, and alternating keeps a
 * slow spell of the machine from landing on one side only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort } from './free-port.js';
import { staticSite, writeNginxConfig } from './nginx-config.js';
import { get as httpGet } from 'node:http';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FERRY = join(ROOT, 'bin', 'ferry.js');
const CORPUS = process.env.FERRY_CORPUS ?? '/tmp/ferry-corpus';
const CORPUS_SCRIPT = resolve(ROOT, '..', 'shared', 'corpus', 'corpus.sh');
const FILES = [
  { label: '5 KB', path: 'dist/esm/button.js' },
  { label: '100 KB', path: 'dist/ferry-widgets.min.js' },
];

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string', default: '0' },
    only: { type: 'string', default: '' },
    cases: { type: 'string', default: 'identical,mix,cold,big,https' },
    'big-mb': { type: 'string', default: '1024' },
    memory: { type: 'string', default: '300MB' },
    'soak-minutes': { type: 'string', default: '10' },
  },
});
const CASES = new Set(opts.cases.split(','));
const SOAK_PUSH_EVERY_MS = 3_000;
const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];

function sh(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: Buffer } = {}): string {
  const r = spawnSync(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, input: options.input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString() ?? r.error?.message}`);
  return r.stdout.toString();
}

function have(program: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', program]).status === 0;
}

/** Bench-only tools come from Debian, installed here when missing (CI runs on a fresh machine). */
function ensureTools(): void {
  const missing: string[] = [];
  if (!have('nginx') && !existsSync('/usr/sbin/nginx')) missing.push('nginx-light');
  if (!have('wrk')) missing.push('wrk');
  if (missing.length === 0) return;
  console.log(`installing ${missing.join(', ')} from Debian`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (args: string[]) => sh(sudo[0] ?? args[0] as string, sudo.length ? args : args.slice(1), { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  run(['apt-get', 'update', '-q']);
  try {
    run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...missing]);
  } catch {
    run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...missing.map((m) => (m === 'nginx-light' ? 'nginx' : m))]);
  }
}


function startProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp | undefined): Promise<ChildProcess> {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${cmd} did not start:\n${out}`)), 30_000);
    const check = (b: Buffer) => {
      out += b.toString();
      if (!ready || ready.test(out)) {
        clearTimeout(timer);
        res(child);
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', (b: Buffer) => {
      out += b.toString();
      if (process.env.FERRY_BENCH_VERBOSE) process.stderr.write(b);
    });
    child.on('exit', (code) => rej(new Error(`${cmd} exited ${code}:\n${out}`)));
    if (!ready) setTimeout(() => res(child), 300);
  });
}

/**
 * One GET on a connection of its own. Not fetch: its pool keeps idle keep-alive connections, and
 * while wrk runs (spawnSync) the event loop cannot see the servers close them after their idle
 * time, so the next fetch wrote into a closed socket (EPIPE): a bench artifact, not an answer.
 */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; etag: string; bytes: number }> {
  return new Promise((resolvePromise, reject) => {
    const req = httpGet(url, { headers, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, etag: String(res.headers.etag ?? ''), bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

interface WrkResult {
  rps: number;
  /** The server's CPU time (user + system, all its processes) per request, in µs; NaN when not measured. */
  cpuUs: number;
  /** wrk's own CPU time per request, in µs: the load generator shares the cores (NaN when not measured). */
  wrkCpuUs: number;
  p99ms: number;
  /** Requests wrk counted, and socket errors (connect, read, write) plus timeouts: failures, not speed. */
  requests: number;
  failures: number;
}

/** CPUs the load generator is pinned to (`taskset -c`), or undefined for none. */
let wrkCpus: string | undefined;

/** One second of load so every worker has built its snapshot and compressed forms. */
function wrkWarm(url: string, gzip: boolean, seconds = 1, script?: string): void {
  runWrk(['-t2', `-c${opts.connections}`, `-d${seconds}s`, ...(gzip ? ['-H', 'Accept-Encoding: gzip'] : []), ...(script ? ['-s', script] : []), url]);
}

/** wrk, pinned to `wrkCpus` when set. */
function runWrk(args: string[]): string {
  return wrkCpus === undefined ? sh('wrk', args) : sh('taskset', ['-c', wrkCpus, 'wrk', ...args]);
}

function wrk(url: string, gzip: boolean, script?: string): WrkResult {
  const args = ['-t2', `-c${opts.connections}`, `-d${opts.duration}s`, '--latency', ...(gzip ? ['-H', 'Accept-Encoding: gzip'] : []), ...(script ? ['-s', script] : []), url];
  const before = reapedChildrenCpuSeconds();
  const out = runWrk(args);
  const wrkSeconds = reapedChildrenCpuSeconds() - before;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const m = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out);
  const p99ms = m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
  if (/Non-2xx or 3xx responses/.test(out) || !Number.isFinite(rps)) throw new Error(`wrk against ${url} saw errors:\n${out}`);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const e = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const failures = e ? Number(e[1]) + Number(e[2]) + Number(e[3]) + Number(e[4]) : 0;
  return { rps, p99ms, requests, failures, cpuUs: NaN, wrkCpuUs: (wrkSeconds * 1e6) / Math.max(1, requests) };
}

/** CPU seconds (user + system) of this process's children that have exited and been waited for (/proc/self/stat cutime + cstime). */
function reapedChildrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** CPU seconds (user + system) the process `pid` and its descendants have used so far (/proc/PID/stat). */
function treeCpuSeconds(pid: number): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  const visit = (p: number) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      return;
    }
    for (const child of childPids(p)) visit(child);
  };
  visit(pid);
  return total;
}

/**
 * `run`, with the CPU time the server `pid` (and its processes) spent per request during it:
 * unlike requests/s, it hardly moves when something else shares the machine.
 */
function withCpu(pid: number, run: () => WrkResult): WrkResult {
  const before = treeCpuSeconds(pid);
  const result = run();
  return { ...result, cpuUs: ((treeCpuSeconds(pid) - before) * 1e6) / Math.max(1, result.requests) };
}

/** The median requests/s and, separately, the median p99 of several runs; failures summed. */
function medianOf(runs: readonly WrkResult[]): WrkResult {
  const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  return {
    rps: mid(runs.map((r) => r.rps)),
    p99ms: mid(runs.map((r) => r.p99ms)),
    cpuUs: mid(runs.map((r) => r.cpuUs)),
    wrkCpuUs: mid(runs.map((r) => r.wrkCpuUs)),
    requests: runs.reduce((n, r) => n + r.requests, 0),
    failures: runs.reduce((n, r) => n + r.failures, 0),
  };
}

/**
 * `rounds` runs of each side, alternating which goes first (a slow spell of the machine must not
 * land on one side only).
 */
function alternate(rounds: number, nginx: () => WrkResult, ferry: () => WrkResult): { n: WrkResult; c: WrkResult; rounds: { n: WrkResult; c: WrkResult }[] } {
  const nginxRuns: WrkResult[] = [];
  const ferryRuns: WrkResult[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      nginxRuns.push(nginx());
      ferryRuns.push(ferry());
    } else {
      ferryRuns.push(ferry());
      nginxRuns.push(nginx());
    }
  }
  return { n: medianOf(nginxRuns), c: medianOf(ferryRuns), rounds: nginxRuns.map((n, i) => ({ n, c: ferryRuns[i] as WrkResult })) };
}

/** "" when no request failed, else the failures and their share: a failed request is not a fast one. */
function failuresOf(r: WrkResult): string {
  return r.failures === 0 ? '' : ` FAILURES ${r.failures} (${((100 * r.failures) / Math.max(1, r.requests)).toFixed(2)}%)`;
}

async function main(): Promise<void> {
  ensureTools();
  if (!existsSync(join(CORPUS, 'cdn-git'))) sh('bash', [CORPUS_SCRIPT, CORPUS]);
  const work = mkdtempSync(join(tmpdir(), 'ferry-bench-cdn-'));
  chmodSync(work, 0o755); // nginx workers run as an unprivileged user
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const data = join(work, 'data');
  const gitEnv: NodeJS.ProcessEnv = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

  // Ferry: a user first (a namespace that holds repos cannot become a user's), then a public git
  // repo holding the corpus.
  sh(process.execPath, [FERRY, '--data', data, 'user', 'add', 'bench', '--admin']);
  sh(process.execPath, [FERRY, '--data', data, 'repo', 'create', 'bench/widgets', '--git', '--public']);
  sh('git', ['-C', join(CORPUS, 'cdn-git'), 'push', '-q', join(data, 'repos', 'bench', 'widgets'), 'HEAD:refs/heads/main', '--tags'], { env: gitEnv });
  const ferryPort = await freePort();
  const sshPort = await freePort();
  const ferryEnv = { ...process.env, FERRY_HTTP_PORT: String(ferryPort), FERRY_SSH_PORT: String(sshPort), FERRY_LOG_LEVEL: 'warn', FERRY_CDN_WORKERS: opts.workers, FERRY_CDN_MEMORY: opts.memory };
  // A user with a key, to push over SSH for the freshness measurement.
  const key = join(work, 'id_bench');
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  sh(process.execPath, [FERRY, '--data', data, 'key', 'add', 'bench', `${key}.pub`]);
  gitEnv.GIT_SSH_COMMAND = `ssh -F /dev/null -i ${key} -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`;
  const pushUrl = `ssh://git@127.0.0.1:${sshPort}/bench/widgets`;
  const ferry = await startProcess(process.execPath, [FERRY, '--data', data, 'serve'], ferryEnv, /ferry: ready/);

  // nginx: the same files from a tmpfs (or a plain temp dir when mounting is refused), gzip_static.
  const www = join(work, 'www');
  mkdirSync(www);
  let where = 'tmpfs';
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', www]).status === 0) cleanups.unshift(() => spawnSync('umount', [www]));
  else where = 'a temp dir (mounting a tmpfs was refused)';
  const tar = spawnSync('git', ['-C', join(CORPUS, 'cdn-git'), 'archive', '--format=tar', 'HEAD'], { env: gitEnv, maxBuffer: 1 << 28 });
  sh('tar', ['-x', '-C', www], { input: tar.stdout });
  chmodSync(www, 0o755);
  // gzip_static: a .gz beside every file worth compressing, as a site deployed for nginx has.
  const corpusFiles = sh('git', ['-C', join(CORPUS, 'cdn-git'), 'ls-files'], { env: gitEnv }).split('\n').filter((f) => f !== '' && !/(^|\/)\.(git|hg)/.test(f));
  for (const f of corpusFiles) if (/\.(js|mjs|cjs|css|json|map|html|svg|txt|md|xml)$/.test(f)) sh('gzip', ['-9', '-k', '-f', join(www, f)]);
  const nginxPort = await freePort();
  const prefix = writeStaticSiteConfig(join(work, 'nginx'), www, `127.0.0.1:${nginxPort}`);
  const nginx = await startProcess('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf')], process.env, undefined);

  const ferryUrl = (path: string) => `http://127.0.0.1:${ferryPort}/cdn/bench/widgets@main/${path}`;
  const nginxUrl = (path: string) => `http://127.0.0.1:${nginxPort}/${path}`;
  for (const f of FILES) {
    for (const url of [ferryUrl(f.path), nginxUrl(f.path)]) {
      for (const enc of ['identity', 'gzip']) {
        const r = await get(url, { 'Accept-Encoding': enc });
        if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
      }
    }
  }

  console.log(`\nferry [cdn] memory = ${opts.memory}; cases: ${[...CASES].join(', ')}`);
  console.log(describeSides(where));
  if (CASES.has('identical')) identicalCases(ferryUrl, nginxUrl, where);
  if (CASES.has('mix')) await mixCase(ferryUrl, nginxUrl, corpusFiles, work, { ferry: ferry.pid ?? 0, nginx: nginx.pid ?? 0 });
  if (CASES.has('cold')) await coldCases(ferryPort, gitEnv, work, pushUrl, corpusFiles);
  if (CASES.has('big')) await bigRepoCase(data, ferryPort, gitEnv, work, ferry.pid ?? 0, nginx.pid ?? 0, nginxUrl, www);
  if (CASES.has('https')) await httpsCase(work, gitEnv, www);
  if (CASES.has('soak')) await soakCase(ferryUrl, corpusFiles, work, gitEnv, pushUrl, ferry.pid ?? 0);
  await measureFreshness(data, ferryPort, gitEnv, work, pushUrl);
}

/**
 * HTTPS: the identical requests over TLS 1.3 with keep-alive, against a second Ferry (its own
 * data dir holding the corpus, `[http] tls_cert`/`tls_key` set, the same CDN workers) and a second
 * nginx with the same certificate and key (a P-256 key, as current CAs issue) and the same files.
 * wrk speaks HTTP/1.1 only, so HTTP/2 is not measured here.
 */
async function httpsCase(work: string, gitEnv: NodeJS.ProcessEnv, www: string): Promise<void> {
  const dir = join(work, 'tls');
  mkdirSync(dir);
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  sh('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  const data = join(work, 'data-tls');
  sh(process.execPath, [FERRY, '--data', data, 'repo', 'create', 'bench/widgets', '--git', '--public']);
  sh('git', ['-C', join(CORPUS, 'cdn-git'), 'push', '-q', join(data, 'repos', 'bench', 'widgets'), 'HEAD:refs/heads/main', '--tags'], { env: gitEnv });
  const ferryPort = await freePort();
  const env = {
    ...process.env,
    FERRY_HTTP_PORT: String(ferryPort),
    FERRY_SSH_PORT: String(await freePort()),
    FERRY_LOG_LEVEL: 'warn',
    FERRY_CDN_WORKERS: opts.workers,
    FERRY_CDN_MEMORY: opts.memory,
    FERRY_HTTP_TLS_CERT: cert,
    FERRY_HTTP_TLS_KEY: key,
  };
  const ferry = await startProcess(process.execPath, [FERRY, '--data', data, 'serve'], env, /ferry: ready/);
  const nginxPort = await freePort();
  const prefix = writeStaticSiteConfig(join(work, 'nginx-tls'), www, `127.0.0.1:${nginxPort} ssl http2`, { cert, key });
  const nginx = await startProcess('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf')], process.env, undefined);
  try {
    const ferryUrl = (path: string) => `https://127.0.0.1:${ferryPort}/cdn/bench/widgets@main/${path}`;
    const nginxUrl = (path: string) => `https://127.0.0.1:${nginxPort}/${path}`;
    for (const f of FILES) for (const gzip of [false, true]) for (const url of [ferryUrl(f.path), nginxUrl(f.path)]) wrkWarm(url, gzip);
    console.log(`
CDN over HTTPS (TLS, HTTP/1.1 keep-alive): wrk -t2 -c${opts.connections} -d${opts.duration}s; the same certificate for both; ferry [cdn] workers = ${opts.workers}; medians of ${opts.rounds} alternating runs each
`);
    const { ratios } = fileRows(ferryUrl, nginxUrl);
    console.log(`
ferry/nginx requests/s over HTTPS: min ${Math.min(...ratios).toFixed(2)}x`);
  } finally {
    ferry.kill('SIGTERM');
    nginx.kill('SIGTERM');
  }
}

/**
 * The table of the identical-request cases (FILES, plain and gzip, those --only names): each row
 * the medians of alternating runs of both sides, ratios and failures. Returns the ratios.
 */
function fileRows(ferryUrl: (path: string) => string, nginxUrl: (path: string) => string): { ratios: number[]; p99ratios: number[] } {
  console.log('file     encoding  nginx req/s  ferry req/s  ratio   nginx p99  ferry p99  ratio');
  const ratios: number[] = [];
  const p99ratios: number[] = [];
  for (const f of FILES) {
    for (const gzip of [false, true]) {
      if (!`${f.label} ${gzip ? 'gzip' : 'plain'}`.includes(opts.only)) continue;
      const { n, c } = alternate(Number(opts.rounds), () => wrk(nginxUrl(f.path), gzip), () => wrk(ferryUrl(f.path), gzip));
      ratios.push(c.rps / n.rps);
      p99ratios.push(c.p99ms / n.p99ms);
      console.log(
        `${f.label.padEnd(8)} ${(gzip ? 'gzip' : 'plain').padEnd(9)} ${n.rps.toFixed(0).padStart(11)}  ${c.rps.toFixed(0).padStart(11)}  ${(c.rps / n.rps).toFixed(2).padStart(5)}x  ${n.p99ms.toFixed(2).padStart(7)}ms  ${c.p99ms.toFixed(2).padStart(7)}ms  ${(c.p99ms / n.p99ms).toFixed(2).padStart(5)}x${failuresOf(n) && ` nginx${failuresOf(n)}`}${failuresOf(c) && ` ferry${failuresOf(c)}`}`,
      );
    }
  }
  return { ratios, p99ratios };
}

/** The same request over and over: one small and one larger file, plain and gzip. */
function identicalCases(ferryUrl: (path: string) => string, nginxUrl: (path: string) => string, where: string): void {
  // Both sides warmed the same way: a second of the same load each.
  for (const f of FILES) for (const gzip of [false, true]) for (const url of [nginxUrl(f.path), ferryUrl(f.path)]) wrkWarm(url, gzip);
  console.log(
    `\nCDN benchmark: wrk -t2 -c${opts.connections} -d${opts.duration}s on loopback, ${cpuCount()} cores; nginx (worker_processes auto, gzip_static) serves from ${where}; ferry [cdn] workers = ${opts.workers}; ` +
      `medians of ${opts.rounds} alternating runs each\n`,
  );
  const { ratios, p99ratios } = fileRows(ferryUrl, nginxUrl);
  console.log(`\nferry/nginx requests/s: min ${Math.min(...ratios).toFixed(2)}x (target >= 1.00x); p99 ferry/nginx: max ${Math.max(...p99ratios).toFixed(2)}x (target <= 2.00x)`);
}

const ENCODINGS = ['gzip, deflate, br, zstd', 'gzip, deflate', 'identity'];
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
];

/**
 * A wrk script sending browser-like requests for `paths` (request targets): a random file, one of
 * three Accept-Encoding sets, a user agent, a referer and Sec-Fetch-* per request, a cookie on
 * half, and If-None-Match with the ETag `etags[encoding][file]` on about a third.
 */
function mixScript(paths: readonly string[], etags: readonly (readonly string[])[]): string {
  const list = (values: readonly string[]) => `{ ${values.map((v) => JSON.stringify(v)).join(', ')} }`;
  return `local paths = ${list(paths)}
local etags = { ${etags.map(list).join(',\n')} }
local encodings = ${list(ENCODINGS)}
local agents = ${list(USER_AGENTS)}
local dests = { "script", "style", "image", "empty" }
function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
request = function()
  local p = math.random(#paths)
  local e = math.random(#encodings)
  local h = {
    ["User-Agent"] = agents[math.random(#agents)],
    ["Referer"] = "https://app" .. math.random(40) .. ".example/page/" .. math.random(100000),
    ["Accept"] = "*/*",
    ["Accept-Language"] = "en-US,en;q=0.9",
    ["Accept-Encoding"] = encodings[e],
    ["Sec-Fetch-Dest"] = dests[math.random(#dests)],
    ["Sec-Fetch-Mode"] = "no-cors",
    ["Sec-Fetch-Site"] = "cross-site",
  }
  if math.random(2) == 1 then h["Cookie"] = "_ga=GA1.2." .. math.random(100000000) .. "; theme=dark; ferry_session=" .. math.random(1000000) end
  if math.random(3) == 1 and etags[e][p] ~= "" then h["If-None-Match"] = etags[e][p] end
  return wrk.format("GET", paths[p], h)
end
`;
}

/** Fetches every path with each Accept-Encoding set: the ETags a revalidating browser would hold. */
async function etagsOf(base: string, paths: readonly string[]): Promise<string[][]> {
  const out: string[][] = [];
  for (const encoding of ENCODINGS) {
    const list: string[] = [];
    for (const path of paths) {
      const r = await get(`${base}${path}`, { 'Accept-Encoding': encoding });
      if (r.status !== 200) throw new Error(`${base}${path}: ${r.status}`);
      list.push(r.etag);
    }
    out.push(list);
  }
  return out;
}

/** Runs the browser-like mix against nginx and Ferry alternately; prints medians and ratios. */
async function runMix(label: string, ferryBase: string, ferryPaths: readonly string[], nginxBase: string, nginxPaths: readonly string[], work: string, servers: { ferry: number; nginx: number }): Promise<void> {
  const ferryScript = join(work, `${label}-ferry.lua`);
  const nginxScript = join(work, `${label}-nginx.lua`);
  writeFileSync(ferryScript, mixScript(ferryPaths, await etagsOf(ferryBase, ferryPaths)));
  writeFileSync(nginxScript, mixScript(nginxPaths, await etagsOf(nginxBase, nginxPaths)));
  // Both sides warmed the same way: every file in every encoding was fetched once above (etagsOf),
  // then the same mix for a few seconds each (Ferry's workers each hold their own compressed forms).
  wrkWarm(`${nginxBase}/`, false, 4, nginxScript);
  wrkWarm(`${ferryBase}/`, false, 4, ferryScript);
  const { n, c, rounds } = alternate(
    Number(opts.rounds),
    () => withCpu(servers.nginx, () => wrk(`${nginxBase}/`, false, nginxScript)),
    () => withCpu(servers.ferry, () => wrk(`${ferryBase}/`, false, ferryScript)),
  );
  console.log(
    `${label}: ${ferryPaths.length} files, browser-like headers, ~1/3 revalidations${wrkCpus === undefined ? '' : `, wrk pinned to CPU ${wrkCpus} and the servers to the others`}: ` +
      `nginx ${n.rps.toFixed(0)} req/s p99 ${n.p99ms.toFixed(2)}ms${failuresOf(n)}; ferry ${c.rps.toFixed(0)} req/s p99 ${c.p99ms.toFixed(2)}ms${failuresOf(c)}; ` +
      `ratio ${(c.rps / n.rps).toFixed(2)}x req/s (target >= 1.20x), p99 ${(c.p99ms / n.p99ms).toFixed(2)}x (target <= 1.00x); ` +
      `server CPU per request nginx ${n.cpuUs.toFixed(1)} µs, ferry ${c.cpuUs.toFixed(1)} µs (${(c.cpuUs / n.cpuUs).toFixed(2)}x); ` +
        `wrk's own CPU per request against nginx ${n.wrkCpuUs.toFixed(1)} µs, against ferry ${c.wrkCpuUs.toFixed(1)} µs`,
  );
  // Each round too: the medians above hide how far the runs of one side spread.
  console.log(`  rounds (ferry/nginx req/s, p99, server CPU per request): ${rounds.map((r) => `${(r.c.rps / r.n.rps).toFixed(2)}x ${(r.c.p99ms / r.n.p99ms).toFixed(2)}x ${(r.c.cpuUs / r.n.cpuUs).toFixed(2)}x`).join('; ')}`);
}

/** The realistic mix over every file of the corpus. */
async function mixCase(ferryUrl: (path: string) => string, nginxUrl: (path: string) => string, files: readonly string[], work: string, servers: { ferry: number; nginx: number }): Promise<void> {
  const encoded = files.map((f) => f.split('/').map(encodeURIComponent).join('/'));
  const ferryBase = new URL(ferryUrl('')).origin;
  const nginxBase = new URL(nginxUrl('')).origin;
  const ferryPrefix = new URL(ferryUrl('')).pathname;
  console.log('');
  await runMix('realistic mix', ferryBase, encoded.map((f) => `${ferryPrefix}${f}`), nginxBase, encoded.map((f) => `/${f}`), work, servers);
  // The same with wrk on its own core: when the load generator shares the servers' cores, a server
  // that yields the CPU after each turn (Ferry's workers do, src/cdn/workers/yield-cpu.ts) gains
  // from wrk running sooner; pinned apart, that gain is gone and what is left is the servers' own.
  const cpus = cpuCount();
  if (cpus >= 2) {
    const all = `0-${cpus - 1}`;
    const serverCpus = cpus === 2 ? '0' : `0-${cpus - 2}`;
    pin([servers.ferry, servers.nginx], serverCpus);
    wrkCpus = String(cpus - 1);
    try {
      await runMix('realistic mix, pinned', ferryBase, encoded.map((f) => `${ferryPrefix}${f}`), nginxBase, encoded.map((f) => `/${f}`), work, servers);
    } finally {
      wrkCpus = undefined;
      pin([servers.ferry, servers.nginx], all);
    }
  }
}

/** nginx serving `www` as a static site (bench/nginx-config.ts staticSite); returns `prefix`, where its nginx.conf is. */
function writeStaticSiteConfig(prefix: string, www: string, listen: string, tls?: { cert: string; key: string }): string {
  writeNginxConfig(prefix, staticSite(www, listen, tls));
  return prefix;
}

/** What exactly the two sides are: versions, caches, what is warm (issue 19: name what is compared). */
function describeSides(where: string): string {
  const nginxVersion = (spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr ?? '').trim().replace(/^nginx version: /, '');
  const wrkVersion = (spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout ?? '').split('\n')[0]?.trim() ?? '?';
  const commit = spawnSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || '?';
  return [
    `sides: nginx ${nginxVersion} (worker_processes auto, sendfile, open_file_cache, gzip_static with .gz made by gzip -9 beforehand; files on ${where}) vs`,
    `       Ferry ${commit} on node ${process.version} ([cdn] workers ${opts.workers === '0' ? 'one per core' : opts.workers}, files read from git on demand, br q5 / gzip 6 made on first request per worker);`,
    `       both warmed the same way before each case; load from ${wrkVersion}, the side that runs first alternates each round.`,
  ].join('\n');
}

/** Every thread of `pids` and of their descendants onto `cpus` (taskset's list syntax). */
function pin(pids: readonly number[], cpus: string): void {
  const seen = new Set<number>();
  const visit = (pid: number) => {
    if (pid <= 0 || seen.has(pid)) return;
    seen.add(pid);
    spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    for (const child of childPids(pid)) visit(child);
  };
  for (const pid of pids) visit(pid);
}

/** Milliseconds one GET of `url` takes, start to last byte. */
async function timed(url: string): Promise<number> {
  const started = performance.now();
  const r = await get(url, {});
  if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
  return performance.now() - started;
}

function summary(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${(sorted[Math.floor(sorted.length / 2)] ?? NaN).toFixed(1)} ms, max ${(sorted[sorted.length - 1] ?? NaN).toFixed(1)} ms`;
}

/** The first request for files after a push, and for a tag never served before (Ferry only). */
async function coldCases(ferryPort: number, gitEnv: NodeJS.ProcessEnv, work: string, via: string, files: readonly string[]): Promise<void> {
  const clone = join(work, 'cold-clone');
  sh('git', ['clone', '-q', via, clone], { env: gitEnv });
  const sample = files.filter((_, i) => i % Math.max(1, Math.floor(files.length / 20)) === 0).slice(0, 20);
  const url = (ref: string, f: string) => `http://127.0.0.1:${ferryPort}/cdn/bench/widgets@${ref}/${f.split('/').map(encodeURIComponent).join('/')}`;
  const afterPush: number[] = [];
  const changed: number[] = [];
  const firstOfTag: number[] = [];
  const restOfTag: number[] = [];
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(clone, 'cold.txt'), `cold ${Date.now()} ${i}\n`);
    sh('git', ['-C', clone, 'add', 'cold.txt'], { env: gitEnv });
    sh('git', ['-C', clone, '-c', 'user.name=bench', '-c', 'user.email=b@b', 'commit', '-q', '-m', `cold ${i}`], { env: gitEnv });
    const tag = `cold-${Date.now()}-${i}`;
    sh('git', ['-C', clone, 'tag', tag], { env: gitEnv });
    sh('git', ['-C', clone, 'push', '-q', via, 'HEAD:main', tag], { env: gitEnv });
    changed.push(await timed(url('main', 'cold.txt')));
    for (const f of sample) afterPush.push(await timed(url('main', f)));
    firstOfTag.push(await timed(url(tag, sample[0] as string)));
    for (const f of sample.slice(1)) restOfTag.push(await timed(url(tag, f)));
  }
  console.log(`\ncold: first request after a push for the file it changed (${changed.length}): ${summary(changed)}; for other files (${afterPush.length}): ${summary(afterPush)}`);
  console.log(`cold: first request at a tag never served (${firstOfTag.length}): ${summary(firstOfTag)}; the tag's other files, first time each: ${summary(restOfTag)}`);
}

/**
 * The realistic mix against Ferry alone for --soak-minutes while a commit is pushed every few
 * seconds (a tag every tenth): nothing may grow per request or per push, so RSS and open file
 * descriptors of the primary and of each worker must end where they started (± noise).
 */
async function soakCase(ferryUrl: (path: string) => string, files: readonly string[], work: string, gitEnv: NodeJS.ProcessEnv, via: string, ferryPid: number): Promise<void> {
  const origin = new URL(ferryUrl('')).origin;
  const prefix = new URL(ferryUrl('')).pathname;
  const paths = files.map((f) => `${prefix}${f.split('/').map(encodeURIComponent).join('/')}`);
  const script = join(work, 'soak.lua');
  writeFileSync(script, mixScript(paths, await etagsOf(origin, paths)));
  const clone = join(work, 'soak-clone');
  sh('git', ['clone', '-q', via, clone], { env: gitEnv });
  let pushes = 0;
  const push = () => {
    writeFileSync(join(clone, 'soak.txt'), `soak ${pushes}\n`);
    sh('git', ['-C', clone, 'add', 'soak.txt'], { env: gitEnv });
    sh('git', ['-C', clone, '-c', 'user.name=bench', '-c', 'user.email=b@b', 'commit', '-q', '-m', `soak ${pushes}`], { env: gitEnv });
    const tag = pushes % 10 === 0 ? [`soak-${Date.now()}`] : [];
    if (tag[0]) sh('git', ['-C', clone, 'tag', tag[0]], { env: gitEnv });
    sh('git', ['-C', clone, 'push', '-q', via, 'HEAD:main', ...tag], { env: gitEnv });
    pushes++;
  };
  const processes = () => [ferryPid, ...childPids(ferryPid).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker-main'))];
  const memfds = (pid: number) => readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('/memfd:');
    } catch {
      return false;
    }
  }).length;
  const sample = () => processes().map((pid) => ({ pid, rss: rssMb(pid), fds: readdirSync(`/proc/${pid}/fd`).length, memfds: memfds(pid) }));
  // Every sample is taken in the same state: under the mix, a push just made (dropping the repo's
  // reused answers) and the mix run for the same few seconds after it, so what the answers hold
  // at that moment (memfds of large bodies, buffers) is alike at every sample.
  // What each worker says of its memory (/metrics, reported at least every 10 s): V8's heap in use
  // and what its caches hold, by worker number, in MB.
  const workerMemory = async () => {
    const text = await (await fetch(`${origin}/metrics`)).text();
    const of = (kind: string) => [...text.matchAll(new RegExp(`^ferry_cdn_worker_memory_bytes\\{worker="(\\d+)",kind="${kind}"\\} (\\d+)`, 'gm'))].map((m) => `${m[1]}: ${(Number(m[2]) / 2 ** 20).toFixed(0)}`);
    return { heap: of('heap_used'), held: of('held') };
  };
  const reported: { heap: string[]; held: string[] }[] = [];
  const settled = async () => {
    push();
    sh('wrk', ['-t2', `-c${opts.connections}`, '-d5s', '-s', script, `${origin}/`]);
    await sleep(1_500);
    reported.push(await workerMemory());
    return sample();
  };
  // Warm up: every file served, a few pushes, so the start is measured in the steady state.
  for (let i = 0; i < 3; i++) push();
  sh('wrk', ['-t2', `-c${opts.connections}`, '-d5s', '-s', script, `${origin}/`]);
  const start = await settled();
  const seconds = Math.round(Number(opts['soak-minutes']) * 60);
  const samples: { label: string; at: ReturnType<typeof sample> }[] = [{ label: 'start', at: start }];
  // A sample after each fifth of the time: growth that stops after the first (caches filling up to
  // the memory budget) is told apart from growth per push, which would go on to the end.
  const parts = 5;
  for (let part = 1; part <= parts; part++) {
    const load = spawn('wrk', ['-t2', `-c${opts.connections}`, `-d${Math.round(seconds / parts)}s`, '-s', script, `${origin}/`], { stdio: 'ignore' });
    children.push(load);
    const done = new Promise<void>((resolve) => load.once('exit', () => resolve()));
    let running = true;
    void done.then(() => (running = false));
    while (running) {
      push();
      await Promise.race([sleep(SOAK_PUSH_EVERY_MS), done]);
    }
    samples.push({ label: part === parts ? 'end' : `${Math.round((part * seconds) / parts / 60)} min`, at: await settled() });
  }
  console.log(`\nsoak: ${seconds} s of the realistic mix, ${pushes} pushes (every ${SOAK_PUSH_EVERY_MS / 1000} s, a tag every tenth); each sample after a push and 5 s of the mix`);
  for (const [i, s] of start.entries()) {
    const row = samples.map(({ label, at }) => {
      const x = at.find((p) => p.pid === s.pid);
      return x ? `${label} ${x.rss.toFixed(0)} MB, ${x.fds} fds (${x.memfds} memfds)` : `${label} (gone)`;
    });
    console.log(`  ${i === 0 ? 'primary ' : `worker ${i}`}  ${row.join('  ->  ')}`);
  }
  // The same as one line per process of RSS only, the figure that would show a leak.
  for (const [i, s] of start.entries()) {
    const rss = samples.map(({ at }) => at.find((p) => p.pid === s.pid)?.rss.toFixed(0) ?? '-');
    console.log(`  RSS MB ${i === 0 ? 'primary ' : `worker ${i}`}  ${rss.join(' ')}`);
  }
  console.log(`  workers' V8 heap in use, MB (worker: MB), at each sample: ${reported.map((r) => r.heap.join(', ')).join('  ->  ')}`);
  console.log(`  workers' caches hold, MB (each within ${(opts.memory)} / workers): ${reported.map((r) => r.held.join(', ')).join('  ->  ')}`);
}

/** Resident memory of a process, in MB (from /proc). */
/** The process's anonymous resident memory (heap, buffers), without the mapped files node's code is. */
function anonMb(pid: number): number {
  const m = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * A repo whose tree (`--big-mb`) is bigger than the CDN's memory budget, with a second commit that
 * rewrites half of it (history ~1.5x the tree): its small files under the browser-like mix, every
 * big file fetched once (the blob cache churns), then the RSS of the primary and of each worker.
 */
async function bigRepoCase(data: string, ferryPort: number, gitEnv: NodeJS.ProcessEnv, work: string, ferryPid: number, nginxPid: number, nginxUrl: (path: string) => string, www: string): Promise<void> {
  const tree = join(work, 'big-tree');
  mkdirSync(join(tree, 'assets'), { recursive: true });
  mkdirSync(join(tree, 'small'), { recursive: true });
  const bigFiles = Math.max(1, Math.floor(Number(opts['big-mb']) / 8));
  for (let i = 0; i < bigFiles; i++) writeFileSync(join(tree, 'assets', `blob${i}.bin`), randomBytes(8 * 1024 * 1024));
  const small: string[] = [];
  for (let i = 0; i < 200; i++) {
    const name = `small/file${i}.js`;
    writeFileSync(join(tree, name), `export const n${i} = ${i};\n${'// some text that compresses\n'.repeat(40 + (i % 60))}`);
    small.push(name);
  }
  const git = (args: string[]) => sh('git', ['-c', 'core.compression=0', '-c', 'pack.compression=0', '-c', 'user.name=bench', '-c', 'user.email=b@b', '-C', tree, ...args], { env: gitEnv });
  git(['init', '-q', '-b', 'main']);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'big']);
  for (let i = 0; i < bigFiles; i += 2) writeFileSync(join(tree, 'assets', `blob${i}.bin`), randomBytes(8 * 1024 * 1024));
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'rewrite half']);
  sh(process.execPath, [FERRY, '--data', data, 'repo', 'create', 'bench/big', '--git', '--public']);
  git(['push', '-q', join(data, 'repos', 'bench', 'big'), 'main']);
  mkdirSync(join(www, 'big', 'small'), { recursive: true });
  for (const f of small) {
    writeFileSync(join(www, 'big', f), readFileSync(join(tree, f)));
    sh('gzip', ['-9', '-k', '-f', join(www, 'big', f)]);
  }
  const ferryBase = `http://127.0.0.1:${ferryPort}`;
  console.log(`\nbig repo: a ${bigFiles * 8} MB tree (${bigFiles} files of 8 MB, 200 small ones), ${bigFiles * 12} MB of history; [cdn] memory = ${opts.memory}`);
  for (let i = 0; i < bigFiles; i++) await timed(`${ferryBase}/cdn/bench/big@main/assets/blob${i}.bin`);
  await runMix('big repo, small files', ferryBase, small.map((f) => `/cdn/bench/big@main/${f}`), new URL(nginxUrl('')).origin, small.map((f) => `/big/${f}`), work, { ferry: ferryPid, nginx: nginxPid });
  for (let i = 0; i < bigFiles; i++) await timed(`${ferryBase}/cdn/bench/big@main/assets/blob${i}.bin`);
  const workers = childPids(ferryPid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker-main');
    } catch {
      return false;
    }
  });
  console.log(
    `big repo: RSS primary ${rssMb(ferryPid).toFixed(0)} MB, workers ${workers.map((pid) => `${rssMb(pid).toFixed(0)} MB (anonymous ${anonMb(pid).toFixed(0)} MB)`).join(', ') || 'none'} ` +
      `(budget ${opts.memory} in all, split between the workers; RSS also counts node itself, ~60 MB a process, ~45 MB of it node's own code shared between them)`,
  );
}

/** Push a commit, then poll the branch URL until the new content is served; report ms. */
async function measureFreshness(data: string, ferryPort: number, gitEnv: NodeJS.ProcessEnv, work: string, via: string): Promise<void> {
  const clone = join(work, 'clone');
  sh('git', ['clone', '-q', join(data, 'repos', 'bench', 'widgets'), clone], { env: gitEnv });
  const samples: number[] = [];
  let immediate = 0;
  const pushMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const marker = `fresh-${Date.now()}-${i}`;
    writeFileSync(join(clone, 'fresh.txt'), `${marker}\n`);
    sh('git', ['-C', clone, 'add', 'fresh.txt'], { env: gitEnv });
    sh('git', ['-C', clone, '-c', 'user.name=bench', '-c', 'user.email=b@b', 'commit', '-q', '-m', marker], { env: gitEnv });
    const started = performance.now();
    sh('git', ['-C', clone, 'push', '-q', via, 'HEAD:main'], { env: gitEnv });
    const pushed = performance.now();
    for (let polls = 0; ; polls++) {
      if (performance.now() - started > 30_000) throw new Error('the push never became visible');
      // A keep-alive connection idle since the load phase may be closed under us: retry on that.
      const body = await fetch(`http://127.0.0.1:${ferryPort}/cdn/bench/widgets@main/fresh.txt`).then(
        (r) => r.text(),
        () => undefined,
      );
      if (body === undefined) {
        polls--;
        continue;
      }
      if (body.trim() === marker) {
        if (polls === 0) immediate++;
        break;
      }
      await sleep(5);
    }
    samples.push(performance.now() - pushed);
    pushMs.push(pushed - started);
  }
  samples.sort((a, b) => a - b);
  pushMs.sort((a, b) => a - b);
  console.log(
    `push-to-fresh (git push over SSH, 5 pushes): new content served ${immediate}/5 times on the first request after the push returned; ` +
      `after-push wait median ${samples[2]?.toFixed(0)} ms, max ${samples[4]?.toFixed(0)} ms (target <= 200 ms); the push itself took median ${pushMs[2]?.toFixed(0)} ms`,
  );
}

function cpuCount(): number {
  return Number(sh('nproc', []).trim());
}

function cleanup(): void {
  for (const c of children) c.kill('SIGTERM');
  for (const c of cleanups) {
    try {
      c();
    } catch {
      /* best effort */
    }
  }
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    cleanup();
    process.exit(1);
  },
);
