import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseRequestHead } from '../../src/cdn/workers/fast-http.js';
import { HotAnswer, HotAnswers, wireBytes } from '../../src/cdn/workers/hot-answers.js';

const head = (...lines: string[]) => lines.join('\r\n');

describe('CDN fast lane: request heads', () => {
  it('takes GET and HEAD of /cdn/… with lower-case header names, keep-alive by version', () => {
    const get = parseRequestHead(head('GET /cdn/a/b@main/x.js?v=1 HTTP/1.1', 'Host: h', 'Accept-Encoding: gzip, br', 'X-Many: 1', 'x-many: 2'), '10.0.0.1');
    assert.ok(get);
    assert.equal(get.method, 'GET');
    assert.equal(get.url, '/cdn/a/b@main/x.js?v=1');
    assert.equal(get.headers['accept-encoding'], 'gzip, br');
    assert.equal(get.headers['x-many'], '1, 2');
    assert.equal(get.socket.remoteAddress, '10.0.0.1');
    assert.equal(get.keepAlive, true);
    assert.equal(parseRequestHead(head('HEAD /cdn/a@1/x HTTP/1.1', 'Host: h', 'Connection: close'), undefined)?.keepAlive, false);
    const old = parseRequestHead('GET /cdn/a@1/x HTTP/1.0', undefined);
    assert.equal(old?.keepAlive, false);
    assert.equal(old?.http10, true);
    assert.equal(parseRequestHead(head('GET /cdn/a@1/x HTTP/1.0', 'Connection: Keep-Alive'), undefined)?.keepAlive, true);
  });

  it("hands a head with a second Host line to node's server, which answers 400 (RFC 9112 section 3.2)", () => {
    assert.equal(parseRequestHead(head('GET /cdn/a@1/x HTTP/1.1', 'Host: h', 'Host: evil'), undefined), undefined);
    assert.equal(parseRequestHead(head('GET /cdn/a@1/x HTTP/1.1', 'Host: h', 'host: h'), undefined), undefined);
  });

  it('keeps the first of repeated credentials and joins repeated ranges, as node does', () => {
    const req = parseRequestHead(head('GET /cdn/a@1/x HTTP/1.1', 'Host: h', 'Authorization: Basic one', 'Authorization: Basic two', 'Range: bytes=0-1', 'Range: bytes=5-'), undefined);
    assert.equal(req?.headers.authorization, 'Basic one');
    // node's req.headers.range is "bytes=0-1, bytes=5-": several ranges, which the CDN ignores (200).
    assert.equal(req?.headers.range, 'bytes=0-1, bytes=5-');
  });

  it("leaves node's server everything else: other methods and paths, bodies, upgrades, folding, bad bytes, no Host", () => {
    const refused = [
      head('POST /cdn/a@1/x HTTP/1.1', 'Host: h'),
      head('OPTIONS /cdn/a@1/x HTTP/1.1', 'Host: h'),
      head('GET /healthz HTTP/1.1', 'Host: h'),
      head('GET /cdn HTTP/1.1', 'Host: h'),
      head('GET /cdn?x HTTP/1.1', 'Host: h'),
      head('GET http://h/cdn/a@1/x HTTP/1.1', 'Host: h'),
      head('GET /cdn/a@1/x HTTP/2.0', 'Host: h'),
      head('GET /cdn/a@1/x HTTP/1.1'),
      head('GET /cdn/a@1/x HTTP/1.1', 'Host: h', 'Content-Length: 0'),
      head('GET /cdn/a@1/x HTTP/1.1', 'Host: h', 'Transfer-Encoding: chunked'),
      head('GET /cdn/a@1/x HTTP/1.1', 'Host: h', 'Upgrade: websocket', 'Connection: Upgrade'),
      head('GET /cdn/a@1/x HTTP/1.1', 'Host: h', 'Expect: 100-continue'),
      head('GET /cdn/a@1/x HTTP/1.1', 'Host: h', 'X-Folded: a', ' b'),
      head('GET /cdn/a@1/x HTTP/1.1', 'Host: h', 'Bad Name: a'),
      head('GET /cdn/a@1/x HTTP/1.1', 'Host: h', 'X: a\nInjected: b'),
      head('GET /cdn/a@1/x HTTP/1.1', 'Host: h', 'X: nul\0'),
      head('GET /cdn/a@1/x HTTP/1.1', 'Host: h', ': no name'),
      'GET /cdn/a@1/x\tHTTP/1.1\r\nHost: h',
      'GET /cdn/a b HTTP/1.1\r\nHost: h',
    ];
    for (const text of refused) assert.equal(parseRequestHead(text, undefined), undefined, JSON.stringify(text));
  });
});

describe('CDN fast lane: hot answers', () => {
  it('reuses an answer for the same head until the TTL, then forgets it', () => {
    let now = 1000;
    const hot = new HotAnswers(1_000_000, 1000, () => now);
    hot.put('GET /cdn/a', hot.generation, 'HTTP/1.1 200 OK\r\nDate: ', Buffer.from('body'));
    assert.equal((hot.get('GET /cdn/a') as HotAnswer | undefined)?.bytes('D1').toString(), 'HTTP/1.1 200 OK\r\nDate: D1\r\n\r\nbody');
    assert.equal(hot.get('GET /cdn/b'), undefined);
    now += 999;
    assert.ok(hot.get('GET /cdn/a'));
    now += 1;
    assert.equal(hot.get('GET /cdn/a'), undefined);
    assert.equal(hot.size, 0);
  });

  it('drops everything on a change, and never keeps an answer computed across one', () => {
    const hot = new HotAnswers(1_000_000, 1000);
    hot.put('k1', hot.generation, 'H', undefined);
    const before = hot.generation;
    hot.invalidate();
    assert.equal(hot.get('k1'), undefined);
    hot.put('k2', before, 'H', undefined); // answered with the old refs, finished after the change
    assert.equal(hot.get('k2'), undefined);
    hot.put('k3', hot.generation, 'H', undefined);
    assert.ok(hot.get('k3'));
  });

  it('holds at most maxBytes, dropping the oldest first, and never one answer over a quarter of it', () => {
    const hot = new HotAnswers(10_000, 60_000);
    const body = Buffer.alloc(1000);
    for (let i = 0; i < 20; i++) hot.put(`k${i}`, hot.generation, 'H', body);
    assert.ok(hot.size < 20 && hot.size > 0);
    assert.equal(hot.get('k0'), undefined);
    assert.ok(hot.get('k19'));
    hot.put('huge', hot.generation, 'H', Buffer.alloc(3000));
    assert.equal(hot.get('huge'), undefined);
  });

  it('keeps an answer with a scope past the TTL while its repo revalidates, once per TTL per repo, and drops all when one fails', async () => {
    let now = 1000;
    const checks: string[] = [];
    let verdict = true;
    const hot = new HotAnswers(1_000_000, 1000, () => now, undefined, async (scope) => {
      checks.push(`${scope.repoId} ${scope.path}`);
      return verdict;
    });
    const scope = { repoId: 7, path: 'team/site' };
    for (const f of ['a', 'b', 'c']) hot.put(`GET /cdn/team/site/${f}`, hot.generation, 'H', Buffer.from(f), scope);
    hot.put('GET /cdn/other/x', hot.generation, 'H', Buffer.from('x'), { repoId: 8, path: 'other' });
    now += 999;
    assert.ok(hot.get('GET /cdn/team/site/a') instanceof HotAnswer, 'fresh: answered at once, no check');
    assert.deepEqual(checks, []);
    now += 500;
    assert.ok(hot.get('GET /cdn/team/site/a') instanceof HotAnswer, 'due, not overdue: answered at once while the check runs');
    assert.ok(hot.get('GET /cdn/team/site/c') instanceof HotAnswer);
    assert.deepEqual(checks, ['7 team/site'], 'one check started');
    await Promise.resolve();
    await Promise.resolve();
    checks.length = 0;
    now += 5_000;
    const pending = ['a', 'b', 'c'].map((f) => hot.get(`GET /cdn/team/site/${f}`));
    assert.ok(pending.every((p) => p instanceof Promise), 'stale scope: a check first');
    const answers = await Promise.all(pending);
    assert.deepEqual(answers.map((a) => a?.body?.toString()), ['a', 'b', 'c']);
    assert.deepEqual(checks, ['7 team/site'], 'one check for the three answers of one repo');
    assert.ok(hot.get('GET /cdn/team/site/b') instanceof HotAnswer, 'fresh again without another check');
    now += 5_000;
    verdict = false; // the repo went private, moved or went
    assert.equal(await hot.get('GET /cdn/team/site/a'), undefined);
    assert.equal(hot.size, 0, 'every answer dropped');
    assert.equal(hot.get('GET /cdn/other/x'), undefined);
  });

  it('drops one changed repo’s answers, and those of whatever was at its path, keeping other repos’', () => {
    const hot = new HotAnswers(1_000_000, 60_000);
    hot.put('GET /cdn/team/a/x', hot.generation, 'H', Buffer.from('a'), { repoId: 1, path: 'team/a' });
    hot.put('GET /cdn/team/b/x', hot.generation, 'H', Buffer.from('b'), { repoId: 2, path: 'team/b' });
    hot.put('GET /cdn/Team/B/y', hot.generation, 'H', Buffer.from('b'), { repoId: 3, path: 'Team/B' }); // an old repo at b's path
    hot.put('GET /cdn/team/c/x', hot.generation, 'H', Buffer.from('c'), { repoId: 4, path: 'team/c' });
    hot.put('unscoped', hot.generation, 'H', Buffer.from('u'));
    const before = hot.generation;
    hot.invalidateRepo(2, 'team/b');
    assert.equal(hot.get('GET /cdn/team/b/x'), undefined);
    assert.equal(hot.get('GET /cdn/Team/B/y'), undefined, 'the answer of another repo id at the same path goes too');
    assert.equal(hot.get('unscoped'), undefined, 'an answer without a scope goes');
    assert.ok(hot.get('GET /cdn/team/a/x') instanceof HotAnswer);
    assert.ok(hot.get('GET /cdn/team/c/x') instanceof HotAnswer);
    hot.put('GET /cdn/team/b/x', before, 'H', Buffer.from('old'), { repoId: 2, path: 'team/b' });
    assert.equal(hot.get('GET /cdn/team/b/x'), undefined, 'an answer computed across the change is not kept');
  });

  it('writes the head, the date and the body as one buffer made once, only the date rewritten in place', () => {
    const hot = new HotAnswers(1_000_000, 1000);
    hot.put('k', hot.generation, 'HTTP/1.1 200 OK\r\nDate: ', Buffer.from('body'));
    const answer = hot.get('k') as HotAnswer | undefined;
    assert.ok(answer);
    const d1 = new Date(Date.UTC(2026, 10, 30, 21, 42, 8)).toUTCString();
    const d2 = new Date(Date.UTC(2026, 10, 30, 21, 42, 9)).toUTCString();
    const first = answer.bytes(d1);
    assert.equal(first.toString(), `HTTP/1.1 200 OK\r\nDate: ${d1}\r\n\r\nbody`);
    assert.equal(answer.bytes(d2), first, 'the same buffer');
    assert.equal(first.toString(), `HTTP/1.1 200 OK\r\nDate: ${d2}\r\n\r\nbody`, 'the new date written into it');
    assert.equal(answer.bytes('D3').toString(), 'HTTP/1.1 200 OK\r\nDate: D3\r\n\r\nbody', 'a date of another length: laid out anew');
    assert.equal(wireBytes('HTTP/1.1 200 OK\r\nDate: ', 'D', Buffer.from('x')).toString(), 'HTTP/1.1 200 OK\r\nDate: D\r\n\r\nx');
  });
});
