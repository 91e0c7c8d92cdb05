import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { addUser, pushGitFiles, runOk, startFerry, waitForCdnWorkers, type Client, type FerryServer } from './harness.js';

/** A file over 1 KB of a compressible type: the CDN sends it as br/gzip to a client that takes them. */
const LIB = `export const x = 1;\n${'// compresses well\n'.repeat(400)}`;
const SMALL = 'hello\n';

/** One answer as curl printed it with `-i`: status, lower-case headers, body. */
interface Seen {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: string;
}

function parseCurl(out: string): Seen[] {
  const seen: Seen[] = [];
  let rest = out;
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n');
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
    rest = rest.slice(end + 4);
    const next = rest.indexOf('\n@@END@@\n');
    seen.push({ status: Number(statusLine?.split(' ')[1]), headers, body: rest.slice(0, next) });
    rest = rest.slice(next + '\n@@END@@\n'.length);
  }
  return seen;
}

/**
 * Requests made by ONE curl run, on one kept-alive connection (`--next` between them): each is
 * [method, url, extra curl arguments]. Returns what each got.
 */
async function curlSeq(requests: readonly (readonly [string, string, readonly string[]])[]): Promise<Seen[]> {
  const args: string[] = [];
  requests.forEach(([method, url, extra], i) => {
    if (i > 0) args.push('--next');
    args.push('-sS', '-i', '-w', '\n@@END@@\n', ...(method === 'HEAD' ? ['-I'] : []), ...extra, url);
  });
  const r = await runOk('curl', args);
  const seen = parseCurl(r.stdout);
  assert.equal(seen.length, requests.length, r.stdout);
  return seen;
}

async function curl1(url: string, ...extra: string[]): Promise<Seen> {
  return (await curlSeq([['GET', url, extra]]))[0] as Seen;
}

/**
 * A keep-alive connection that sends one request at a time and waits (`pauseMs`) between them, so
 * the CDN worker hands it, idle, to the native table, which then answers on its own.
 */
class Sequential {
  private got = Buffer.alloc(0);
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.got = Buffer.concat([this.got, c]);
      this.wake?.();
    });
    socket.on('close', () => this.wake?.());
  }

  static async open(port: number): Promise<Sequential> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new Sequential(socket);
  }

  async ask(method: string, path: string, fields: readonly string[], pauseMs = 150): Promise<Seen> {
    await sleep(pauseMs);
    this.socket.write(`${method} ${path} HTTP/1.1\r\nHost: cdn.test\r\nUser-Agent: test\r\n${fields.map((f) => `${f}\r\n`).join('')}\r\n`);
    for (;;) {
      const end = this.got.indexOf('\r\n\r\n');
      if (end >= 0) {
        const [statusLine, ...lines] = this.got.toString('latin1', 0, end).split('\r\n');
        const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
        const status = Number(statusLine?.split(' ')[1]);
        const length = method === 'HEAD' || status === 304 ? 0 : Number(headers.get('content-length') ?? 0);
        if (this.got.length >= end + 4 + length) {
          const body = this.got.toString('latin1', end + 4, end + 4 + length);
          this.got = this.got.subarray(end + 4 + length);
          return { status, headers, body };
        }
      }
      if (this.socket.destroyed) throw new Error(`connection closed with ${this.got.length} bytes unread`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

const PAST = 'Thu, 01 Jan 1970 00:00:00 GMT';
const FUTURE = 'Fri, 01 Jan 2100 00:00:00 GMT';

for (const nativeHot of [true, false]) {
  describe(`CDN preconditions: If-Match and If-Unmodified-Since (RFC 9110 13.1.1, 13.1.4; [cdn] native_hot = ${nativeHot})`, () => {
    let ferry: FerryServer;
    let alice: Client;
    let lib: string;
    let small: string;
    /** The ETag of each file as it is (no Content-Encoding). */
    let libTag: string;
    let smallTag: string;

    before(async () => {
      // native_hot is on by default: the first run leaves the setting out.
      ferry = await startFerry({ toml: `[cdn]\nworkers = 2\n${nativeHot ? '' : 'native_hot = false\n'}`, env: { FERRY_LOG_LEVEL: 'info' } });
      await waitForCdnWorkers(ferry);
      assert.doesNotMatch(ferry.output(), /native addon did not load/, 'the CDN workers have the native addon');
      alice = await addUser(ferry, 'alice', { admin: true });
      await ferry.cliOk(['repo', 'create', 'site/lib', '--git', '--public']);
      await pushGitFiles(alice, ferry, 'site/lib', { 'lib.js': LIB, 'small.txt': SMALL });
      lib = `${ferry.baseUrl}/cdn/site/lib@main/lib.js`;
      small = `${ferry.baseUrl}/cdn/site/lib@main/small.txt`;
      const plain = await curlSeq([
        ['GET', lib, []],
        ['GET', small, []],
      ]);
      libTag = plain[0]?.headers.get('etag') as string;
      smallTag = plain[1]?.headers.get('etag') as string;
      assert.match(libTag, /^"[0-9a-f]{40}"$/, 'a strong ETag for the bytes as they are');
      assert.match(smallTag, /^"[0-9a-f]{40}"$/);
    });
    after(() => ferry?.stop());

    it('answers a wrong If-Match with 412 and no body, GET and HEAD, the second and third time too', async () => {
      const wrong = ['-H', 'If-Match: "not-the-etag"'];
      const seen = await curlSeq([
        ['GET', small, []],
        ['GET', small, wrong],
        ['GET', small, wrong],
        ['GET', small, wrong],
        ['HEAD', small, wrong],
        ['HEAD', small, wrong],
        ['GET', small, []],
      ]);
      assert.deepEqual(
        seen.map((s) => s.status),
        [200, 412, 412, 412, 412, 412, 200],
      );
      for (const s of seen.slice(1, 6)) {
        assert.equal(s.body, '', 'a 412 has no body');
        assert.equal(s.headers.get('content-length'), '0');
        assert.equal(s.headers.get('etag'), smallTag, 'the 412 says the current ETag');
        assert.equal(s.headers.get('cache-control'), 'no-store');
      }
      assert.equal(seen[6]?.body, SMALL, 'the 412s left the plain answer as it was');
    });

    it('a reused answer never leaks a 200 to a wrong If-Match: on a connection the native table has taken, the 2nd and 3rd time', async () => {
      const path = '/cdn/site/lib@main/small.txt';
      const conn = await Sequential.open(ferry.httpPort);
      try {
        // Plain requests first: the answer is reused from then on (and the idle connection adopted).
        for (let i = 0; i < 3; i++) assert.equal((await conn.ask('GET', path, ['Accept-Encoding: gzip, br'])).status, 200);
        for (let i = 0; i < 3; i++) {
          const got = await conn.ask('GET', path, ['Accept-Encoding: gzip, br', 'If-Match: "not-the-etag"']);
          assert.equal(got.status, 412, `wrong If-Match, time ${i + 1}`);
          assert.equal(got.body, '');
        }
        for (let i = 0; i < 3; i++) assert.equal((await conn.ask('HEAD', path, ['Accept-Encoding: gzip, br', `If-Unmodified-Since: ${FUTURE}`, 'If-Match: W/"x"'])).status, 412, `HEAD, time ${i + 1}`);
        for (let i = 0; i < 2; i++) assert.equal((await conn.ask('GET', path, ['Accept-Encoding: gzip, br', `If-Match: ${smallTag}`])).body, SMALL);
        assert.equal((await conn.ask('GET', path, ['Accept-Encoding: gzip, br'])).body, SMALL);
      } finally {
        conn.close();
      }
    });

    it('passes If-Match: * and the right strong ETag; a weak tag and another representation’s tag fail (strong comparison)', async () => {
      const star = await curl1(small, '-H', 'If-Match: *');
      assert.equal(star.status, 200);
      assert.equal(star.body, SMALL);
      const right = await curl1(small, '-H', `If-Match: "other", ${smallTag}`);
      assert.equal(right.status, 200);
      assert.equal(right.body, SMALL);
      assert.equal((await curl1(small, '-H', `If-Match: W/${smallTag}`)).status, 412, 'a weak tag never matches If-Match');
      // Compressed: the br/gzip form is other bytes with its own strong tag.
      const compressed = await curl1(lib, '--compressed');
      const encodedTag = compressed.headers.get('etag') as string;
      assert.match(encodedTag, /^"[0-9a-f]{40}-(br|gz)"$/);
      assert.equal((await curl1(lib, '--compressed', '-H', `If-Match: ${encodedTag}`)).status, 200);
      assert.equal((await curl1(lib, '--compressed', '-H', `If-Match: ${libTag}`)).status, 412, 'the identity tag is not the br/gzip answer’s');
      assert.equal((await curl1(lib, '-H', `If-Match: ${libTag}`)).body, LIB);
    });

    it('a Range request with a failing If-Match gets 412, not 206; with the right one 206', async () => {
      const failing = await curl1(lib, '-r', '0-9', '-H', 'If-Match: "not-the-etag"');
      assert.equal(failing.status, 412);
      assert.equal(failing.body, '');
      assert.equal(failing.headers.get('content-range'), undefined);
      const passing = await curl1(lib, '-r', '0-9', '-H', `If-Match: ${libTag}`);
      assert.equal(passing.status, 206);
      assert.equal(passing.body, LIB.slice(0, 10));
      assert.equal((await curl1(lib, '-r', '999999-', '-H', 'If-Match: "x"')).status, 412, '412 before 416');
    });

    it('evaluates If-Match before If-None-Match (412, not 304) and If-None-Match weakly against the answer sent', async () => {
      assert.equal((await curl1(small, '-H', 'If-Match: "x"', '-H', `If-None-Match: ${smallTag}`)).status, 412);
      assert.equal((await curl1(small, '-H', `If-Match: ${smallTag}`, '-H', `If-None-Match: ${smallTag}`)).status, 304);
      assert.equal((await curl1(small, '-H', `If-None-Match: W/${smallTag}`)).status, 304);
      // The identity tag does not validate the br/gzip answer: a 304 would carry its Content-Encoding.
      const cross = await curl1(lib, '--compressed', '-H', `If-None-Match: ${libTag}`);
      assert.equal(cross.status, 200);
      assert.equal(cross.body, LIB);
    });

    it('If-Unmodified-Since: ignored without a Last-Modified (the CDN sends none), and under If-Match', async () => {
      const past = await curl1(small, '-H', `If-Unmodified-Since: ${PAST}`);
      assert.equal(past.headers.get('last-modified'), undefined, 'no Last-Modified: see docs (a commit date can go back when a branch moves)');
      assert.equal(past.status, 200, 'RFC 9110 13.1.4: ignored when the representation has no modification date');
      assert.equal((await curl1(small, '-H', `If-Match: ${smallTag}`, '-H', `If-Unmodified-Since: ${PAST}`)).status, 200, 'If-Match wins');
      assert.equal((await curl1(small, '-H', 'If-Match: "x"', '-H', `If-Unmodified-Since: ${FUTURE}`)).status, 412, 'If-Match wins');
      const head = await curlSeq([['HEAD', small, ['-H', `If-Unmodified-Since: ${PAST}`]]]);
      assert.equal(head[0]?.status, 200);
    });

    it('directory listings evaluate the preconditions too', async () => {
      const dir = `${ferry.baseUrl}/cdn/site/lib@main/`;
      const listing = await curl1(dir);
      assert.equal(listing.status, 200);
      const tag = listing.headers.get('etag') as string;
      assert.equal((await curl1(dir, '-H', 'If-Match: "x"')).status, 412);
      assert.equal((await curl1(dir, '-H', `If-Match: ${tag}`)).status, 200);
    });

    it('a preflight allows If-Match and If-Unmodified-Since', async () => {
      const r = await runOk('curl', ['-sS', '-i', '-X', 'OPTIONS', '-H', 'Origin: https://app.example', '-H', 'Access-Control-Request-Method: GET', small]);
      assert.match(r.stdout, /^access-control-allow-headers: .*If-Match.*If-Unmodified-Since/im);
    });
  });
}
