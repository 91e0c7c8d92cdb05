import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { addUser, run, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

interface Curl {
  status: number;
  body: string;
  headers: string;
}

async function curl(url: string, headers: Record<string, string> = {}): Promise<Curl> {
  const dir = tempDir('ferry-curl-');
  const r = await runOk('curl', ['-sS', '-D', join(dir, 'h'), '-o', join(dir, 'b'), '-w', '%{http_code}', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url]);
  const { readFileSync } = await import('node:fs');
  return { status: Number(r.stdout), body: readFileSync(join(dir, 'b'), 'utf8'), headers: readFileSync(join(dir, 'h'), 'utf8') };
}

/** Polls `url` until it answers `status` (or fails the test after `ms`). */
async function until(url: string, status: number, ms = 30_000): Promise<Curl> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await curl(url);
    if (r.status === status) return r;
    if (Date.now() > deadline) throw new Error(`${url} stayed ${r.status} (wanted ${status}): ${r.body}`);
    await sleep(100);
  }
}

function logLines(server: FerryServer): Record<string, unknown>[] {
  return server
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('health for operators: /healthz, /readyz, request ids in JSON logs, /metrics (issue 17.7)', () => {
  let server: FerryServer;
  let alice: Client;
  before(async () => {
    server = await startFerry({ env: { FERRY_LOG_LEVEL: 'debug', FERRY_CDN_WORKERS: '2' } });
    alice = await addUser(server, 'alice', { admin: true });
    await server.cliOk(['repo', 'create', 'ops/site', '--git', '--public']);
    const work = join(tempDir('ferry-health-work-'), 'w');
    await runOk('git', ['init', '-q', '-b', 'main', work], { env: alice.env });
    writeFileSync(join(work, 'index.js'), 'export const answer = 42;\n');
    await runOk('git', ['-C', work, 'add', '.'], { env: alice.env });
    await runOk('git', ['-C', work, 'commit', '-qm', 'site'], { env: alice.env });
    await runOk('git', ['-C', work, 'push', '-q', alice.sshUrl('ops/site'), 'main'], { env: alice.env });
  });
  after(async () => {
    await run('chattr', ['-i', join(server.dataDir, 'repos')]);
    await server.stop();
  });

  it('/healthz answers 200 while alive; /readyz 200 with every check ok', async () => {
    const alive = await curl(`${server.baseUrl}/healthz`);
    assert.equal(alive.status, 200);
    assert.equal(alive.body, 'ok\n');
    const ready = await until(`${server.baseUrl}/readyz`, 200);
    assert.deepEqual(JSON.parse(ready.body), { status: 'ready', checks: { database: { ok: true }, repos: { ok: true }, workers: { ok: true }, startup: { ok: true } } });
  });

  it('/readyz goes 503 with a JSON reason while the repos dir is unwritable, then back to 200', async () => {
    const repos = join(server.dataDir, 'repos');
    // chattr +i: unwritable even for root (a mode change would not stop root).
    await runOk('chattr', ['+i', repos]);
    try {
      const down = await curl(`${server.baseUrl}/readyz`);
      assert.equal(down.status, 503);
      const body = JSON.parse(down.body) as { status: string; reason: string; checks: { repos: { ok: boolean } } };
      assert.equal(body.status, 'not ready');
      assert.match(body.reason, /^repos: the repos dir .* is not writable/);
      assert.equal(body.checks.repos.ok, false);
      assert.equal((await curl(`${server.baseUrl}/healthz`)).status, 200, 'still alive');
    } finally {
      await runOk('chattr', ['-i', repos]);
    }
    await until(`${server.baseUrl}/readyz`, 200, 5000);
  });

  it('/readyz goes 503 when a CDN worker is killed, and back to 200 once it was replaced', async () => {
    const ps = await runOk('ps', ['--ppid', String(server.process.pid), '-o', 'pid=,args=']);
    const workers = ps.stdout.split('\n').filter((l) => l.includes('worker-main.js'));
    assert.equal(workers.length, 2, ps.stdout);
    process.kill(Number((workers[0] as string).trim().split(/\s+/)[0]), 'SIGKILL');
    const down = await until(`${server.baseUrl}/readyz`, 503, 5000);
    assert.match((JSON.parse(down.body) as { reason: string }).reason, /workers: 1 of 2 CDN workers are up/);
    await until(`${server.baseUrl}/readyz`, 200, 30_000);
  });

  it('every log line of one request carries its id (X-Request-Id honoured and echoed; one made up otherwise); SSH lines too', async () => {
    const given = await curl(`${server.baseUrl}/ops/site/info/refs?service=git-upload-pack`, { 'X-Request-Id': 'ops-test-42' });
    assert.equal(given.status, 200);
    assert.match(given.headers, /^x-request-id: ops-test-42\r$/im);
    const made = await curl(`${server.baseUrl}/healthz`);
    const madeId = /^x-request-id: ([0-9a-f-]{36})\r$/im.exec(made.headers)?.[1];
    assert.ok(madeId, made.headers);
    await sleep(200);
    const lines = logLines(server);
    const ofGiven = lines.filter((l) => l.reqId === 'ops-test-42');
    assert.ok(ofGiven.length >= 2, JSON.stringify(ofGiven));
    assert.ok(ofGiven.some((l) => l.msg === 'http request done' && l.status === 200));
    // Lines about that request's path carry its id and no other.
    for (const l of lines.filter((x) => x.path === '/ops/site/info/refs')) assert.equal(l.reqId, 'ops-test-42');
    assert.ok(lines.filter((l) => l.reqId === madeId).length >= 2);
    // A forged id (a line break, quotes) is not taken.
    const forged = await curl(`${server.baseUrl}/healthz`, { 'X-Request-Id': 'a"b c' });
    assert.doesNotMatch(forged.headers, /x-request-id: a"b/i);
    // SSH: the sign-in and the push of one connection share one id.
    const login = lines.find((l) => l.msg === 'ssh login');
    assert.ok(login && typeof login.reqId === 'string' && login.reqId.startsWith('ssh-'), JSON.stringify(login));
    const changed = lines.find((l) => l.msg === 'repository changed' && l.path === 'ops/site');
    assert.ok(changed, 'the push was logged');
    assert.equal(changed.reqId, lines.filter((l) => l.msg === 'ssh login').map((l) => l.reqId).find((id) => id === changed.reqId));
    // One reqId per line, never two (a connection's child logger and the request context agree).
    for (const raw of server.output().split('\n').filter((l) => l.startsWith('{'))) assert.ok((raw.match(/"reqId"/g) ?? []).length <= 1, raw);
  });

  it('/metrics: request durations as histograms by route kind, bytes, SSH, CDN hits and misses and memory from the workers', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await curl(`${server.baseUrl}/cdn/ops/site@main/index.js`)).status, 200);
    let text = '';
    const deadline = Date.now() + 10_000;
    for (;;) {
      text = (await curl(`${server.baseUrl}/metrics`)).body;
      if (((sample(text, 'ferry_cdn_requests_total{result="hit"}') ?? 0) >= 1 && (sample(text, 'ferry_cdn_worker_memory_bytes{worker="1",kind="held"}') ?? 0) > 0) || Date.now() > deadline) break;
      await sleep(250);
    }
    assert.match(text, /^# TYPE ferry_http_request_duration_seconds histogram$/m);
    assert.ok((sample(text, 'ferry_http_request_duration_seconds_count{area="health"}') ?? 0) >= 1, text);
    assert.ok((sample(text, 'ferry_http_request_duration_seconds_count{area="wire"}') ?? 0) >= 1, text);
    assert.ok(sample(text, 'ferry_http_request_duration_seconds_bucket{le="+Inf",area="health"}') !== undefined, text);
    assert.doesNotMatch(text, /ops\/site/, 'no repo paths in labels');
    assert.ok((sample(text, 'ferry_transfer_bytes_total{transport="http",direction="out"}') ?? 0) > 0, text);
    assert.ok((sample(text, 'ferry_transfer_bytes_total{transport="ssh",direction="in"}') ?? 0) > 0, text);
    assert.ok((sample(text, 'ferry_ssh_sessions_total{request="exec"}') ?? 0) >= 1, text);
    assert.ok((sample(text, 'ferry_cdn_requests_total{result="hit"}') ?? 0) >= 1, text);
    assert.ok((sample(text, 'ferry_cdn_requests_total{result="miss"}') ?? 0) >= 1, text);
    assert.equal(sample(text, 'ferry_mirror_sync_failures_total'), 0);
    // Each worker's memory: its RSS is more than its V8 heap in use, and some worker holds the file served.
    const workers = [...text.matchAll(/^ferry_cdn_worker_memory_bytes\{worker="(\d+)",kind="rss"\} (\d+)/gm)];
    assert.ok(workers.length >= 1, text);
    for (const [, worker, rss] of workers) {
      assert.ok(Number(rss) > (sample(text, `ferry_cdn_worker_memory_bytes{worker="${worker}",kind="heap_used"}`) ?? Infinity), text);
      assert.ok((sample(text, `ferry_cdn_worker_memory_bytes{worker="${worker}",kind="external"}`) ?? 0) > 0, text);
    }
    assert.ok(workers.some(([, worker]) => (sample(text, `ferry_cdn_worker_memory_bytes{worker="${worker}",kind="held"}`) ?? 0) > 0), text);
    assert.match(text, /^# TYPE ferry_webhook_deliveries_total counter$/m);
  });
});
