/**
 * Issue 11, item 13: inputs that crash a request. Property-based fuzzing (fast-check) of every URL
 * parameter and path segment of every route, against the real server: no answer is a 500, none
 * hangs. Bounded in runs and in time.
 */
import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { addUser, makeHgRepo, runOk, startFerry, tempDir, type FerryServer } from './harness.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';

/** Longest a single answer may take before it counts as a hang (ms). */
const HANG_MS = 15_000;

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One request with a raw target (node checks only that it holds no control character or space). */
function send(port: number, method: string, target: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: target, headers: { ...headers, Connection: 'close' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, 300) });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer in ${HANG_MS} ms: ${method} ${target}`));
    }, HANG_MS);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

/** Characters a request target may not hold raw become %XX; everything else (`%`, `..`, `\`) stays. */
function asTarget(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (b > 0x20 && b < 0x7f && b !== 0x23 && b !== 0x3f ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

const tricky = fc.constantFrom(
  '',
  '.',
  '..',
  '%',
  '%0',
  '%00',
  '%0d%0a',
  '%2e%2e',
  '%2F',
  '%C0%AE',
  '%E0%A4%A',
  '0000',
  '000000000000',
  '0'.repeat(40),
  'f'.repeat(41),
  'tip',
  'null',
  'default',
  'main',
  'HEAD',
  '@',
  '@@',
  '^1.0.0',
  '~0',
  '//',
  '\\',
  '\t',
  '-',
  '.hg',
  '.git',
  '.hg/hgrc',
  'a'.repeat(300),
  'x'.repeat(5000),
  '-1',
  '1e309',
  'NaN',
  '<script>',
  '"\'',
  'javascript:alert(1)',
  'http://evil.example/',
  '\u0000',
  '\u202e',
  '😀',
);
/** A path segment or parameter value: tricky values, hex, printable text, any Unicode. */
const piece = fc.oneof(tricky, fc.stringMatching(/^[0-9a-f]{1,40}$/), fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 }));
const encodedPiece = fc.oneof(
  piece.map(asTarget),
  piece.map((s) => encodeURIComponent(s)),
);
const repo = fc.constantFrom('pub/hg', 'pub/git', 'secret/hg', 'nope/none', 'pub', 'PUB/HG', 'pub/hg.git', 'pub/git.git');

/** Every route, with holes for the fuzzer: [method, target]. */
const routes = fc.oneof(
  fc.tuple(encodedPiece).map(([a]) => ['GET', `/${a}`]),
  fc.tuple(encodedPiece, encodedPiece).map(([a, b]) => ['GET', `/${a}/${b}`]),
  fc.tuple(repo, encodedPiece).map(([r, a]) => ['GET', `/${r}/${a}`]),
  fc.tuple(repo, fc.constantFrom('log', 'branches', 'tags', 'commit', 'files', 'raw', 'nothing', ''), encodedPiece, encodedPiece).map(([r, v, ref, f]) => ['GET', `/${r}/-/${v}/${ref}/${f}`]),
  fc.tuple(repo, encodedPiece).map(([r, id]) => ['GET', `/${r}/-/commit/${id}.diff`]),
  fc.tuple(repo, encodedPiece, encodedPiece).map(([r, k, v]) => ['GET', `/${r}/-/log?${k}=${v}`]),
  fc.tuple(repo, encodedPiece, encodedPiece).map(([r, ref, f]) => ['GET', `/cdn/${r}@${ref}/${f}`]),
  fc.tuple(repo, encodedPiece).map(([r, f]) => ['GET', `/cdn/${r}/${f}`]),
  fc.tuple(encodedPiece, encodedPiece).map(([a, b]) => ['GET', `/cdn/${a}/${b}/`]),
  fc.tuple(encodedPiece).map(([a]) => ['GET', `/cdn/${a}`]),
  fc.tuple(repo, encodedPiece, encodedPiece, encodedPiece).map(([r, c, k, v]) => ['GET', `/${r}?cmd=${c}&${k}=${v}`]),
  fc.tuple(repo, fc.constantFrom('capabilities', 'heads', 'lookup', 'known', 'listkeys', 'batch', 'getbundle', 'branchmap', 'between', 'clonebundles'), encodedPiece, encodedPiece).map(([r, c, k, v]) => ['GET', `/${r}?cmd=${c}&${k}=${v}`]),
  fc.tuple(repo, encodedPiece).map(([r, s]) => ['GET', `/${r}/info/refs?service=${s}`]),
  fc.tuple(repo, fc.constantFrom('git-upload-pack', 'git-receive-pack')).map(([r, s]) => ['POST', `/${r}/${s}`]),
  fc.tuple(encodedPiece).map(([n]) => ['GET', `/-/signin?next=${n}`]),
  fc.tuple(encodedPiece, encodedPiece).map(([a, b]) => ['GET', `/-/${a}/${b}`]),
  fc.tuple(encodedPiece).map(([q]) => ['GET', `/?q=${q}`]),
  fc.tuple(encodedPiece).map(([d]) => ['GET', `/-/settings?done=${d}`]),
  fc.tuple(encodedPiece, encodedPiece, encodedPiece, encodedPiece).map(([id, n, e, s]) => ['GET', `/-/hg-clone-bundles/${id}/${n}?for=anonymous&expires=${e}&sig=${s}`]),
  fc.tuple(encodedPiece, encodedPiece).map(([p, s]) => ['POST', `/api/v1/mirrors/${p}/sync?${s}`]),
  fc.tuple(encodedPiece).map(([a]) => ['GET', `/api/v1/${a}`]),
  fc.tuple(encodedPiece).map(([a]) => ['GET', `/healthz?${a}`]),
  fc.tuple(encodedPiece).map(([a]) => ['GET', `/metrics?${a}`]),
  fc.tuple(encodedPiece).map(([a]) => ['POST', `/-/signin?next=${a}`]),
  fc.tuple(encodedPiece).map(([a]) => ['GET', `/${a}.keys`]),
);

describe('security: fuzzing every route', () => {
  let server: FerryServer;
  let token: string;

  before(async () => {
    server = await startFerry();
    const alice = await addUser(server, 'alice', { admin: true });
    await server.cliOk(['repo', 'create', 'pub/hg', '--public']);
    await server.cliOk(['repo', 'create', 'pub/git', '--git', '--public']);
    await server.cliOk(['repo', 'create', 'secret/hg']);
    const local = await makeHgRepo(alice, 2);
    await runOk('hg', ['-R', local, 'push', alice.sshUrl('pub/hg')], { env: alice.env });
    const work = join(tempDir(), 'g');
    await alice.git(['init', '--quiet', work]);
    writeFileSync(join(work, 'a.txt'), 'a\n');
    await alice.git(['-C', work, 'add', '.']);
    await alice.git(['-C', work, 'commit', '--quiet', '-m', 'a']);
    await runOk('git', ['-C', work, 'push', '--quiet', alice.sshUrl('pub/git'), 'HEAD:main'], { env: alice.env });
    token = /(ferry_\S+)/.exec((await server.cliOk(['token', 'add', 'alice', '--read-only'])).stdout)?.[1] ?? '';
  });

  after(async () => {
    await server?.stop();
  });

  it('no URL parameter or path segment of any route makes a 500 or a hang', async () => {
    const auth = fc.constantFrom<Record<string, string>>(
      {},
      { Authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` },
      { Authorization: 'Basic !!!' },
      { Authorization: 'Bearer x' },
      { Cookie: 'ferry_session=' + 'a'.repeat(43) },
    );
    const seen: string[] = [];
    await fc.assert(
      fc.asyncProperty(routes, auth, async ([method, target], headers) => {
        const post: Record<string, string> = method === 'POST' ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '7' } : {};
        const answer = await send(server.httpPort, method, target, { ...headers, ...post }, method === 'POST' ? 'csrf=x&' : undefined);
        seen.push(`${answer.status} ${method} ${target}`);
        assert.ok(answer.status < 500, `${method} ${target} answered ${answer.status}: ${answer.body}`);
      }),
      { numRuns: Number(process.env.FERRY_FUZZ_RUNS ?? 600), interruptAfterTimeLimit: 120_000, markInterruptAsFailure: false, endOnFailure: true },
    );
    assert.ok(seen.length >= 50, `only ${seen.length} requests were tried`);
    assert.ok(!/"level":50/.test(server.output()), `the server logged errors:\n${server.output().split('\n').filter((l) => l.includes('"level":50')).slice(0, 3).join('\n')}`);
  });
});
