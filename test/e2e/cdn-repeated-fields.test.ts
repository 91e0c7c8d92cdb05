import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { addUser, pushGitFiles, runOk, startFerry, waitForCdnWorkers, type Client, type FerryServer } from './harness.js';
import { exchange, splitResponses } from './raw-http.js';

/** The value of cookie `name` in a response head's Set-Cookie lines. */
function setCookie(head: string, name: string): string | undefined {
  return new RegExp(`^set-cookie: ${name}=([^;\\r\\n]*)`, 'im').exec(head)?.[1];
}

/** Signs in through the web form with curl; returns the `ferry_session` cookie value. */
async function curlSignIn(baseUrl: string, name: string, password: string): Promise<string> {
  const form = await runOk('curl', ['-s', '-D', '-', `${baseUrl}/-/signin`]);
  const signinCookie = setCookie(form.stdout, 'ferry_signin');
  const csrf = /name="csrf" value="([^"]+)"/.exec(form.stdout)?.[1];
  assert.ok(signinCookie && csrf, 'the sign-in form sets its cookie and has a csrf field');
  const post = await runOk('curl', ['-s', '-D', '-', '-o', '/dev/null', '-H', `Cookie: ferry_signin=${signinCookie}`, '--data-urlencode', `name=${name}`, '--data-urlencode', `password=${password}`, '--data-urlencode', `csrf=${csrf}`, '--data-urlencode', 'next=/', `${baseUrl}/-/signin`]);
  const value = setCookie(post.stdout, 'ferry_session');
  assert.ok(value, `signing in set the ferry_session cookie: ${post.stdout}`);
  return value;
}

const SECRET = 'only for bob\n';
const PUBLIC = `export const x = 1;\n${'// compresses well\n'.repeat(400)}`;

for (const workers of [2, 1]) {
  describe(`repeated request header lines are combined as node does ([cdn] workers = ${workers})`, () => {
    let ferry: FerryServer;
    let alice: Client;
    let session: string;

    const pushRepo = (path: string, file: string, text: string) => pushGitFiles(alice, ferry, path, { [file]: text });

    before(async () => {
      ferry = await startFerry({ toml: `[cdn]\nworkers = ${workers}\n`, env: { FERRY_LOG_LEVEL: 'info' } });
      if (workers > 1) {
        await waitForCdnWorkers(ferry);
      }
      alice = await addUser(ferry, 'alice', { admin: true });
      await ferry.cliOk(['user', 'add', 'bob']);
      await ferry.cliOk(['user', 'passwd', 'bob'], { input: 'bob-password\n' });
      await ferry.cliOk(['repo', 'create', 'team/priv', '--git']);
      await ferry.cliOk(['grant', 'bob', 'team/priv', 'read']);
      await pushRepo('team/priv', 'a.txt', SECRET);
      await ferry.cliOk(['repo', 'create', 'site/lib', '--git', '--public']);
      await pushRepo('site/lib', 'lib.js', PUBLIC);
      session = await curlSignIn(ferry.baseUrl, 'bob', 'bob-password');
    });
    after(() => ferry?.stop());

    it('reads the session cookie from the second of two Cookie lines (200), and never reuses that answer for a request without it (401)', async () => {
      const url = '/cdn/team/priv@main/a.txt';
      const split = `GET ${url} HTTP/1.1\r\nHost: h\r\nCookie: theme=dark\r\nCookie: ferry_session=${session}\r\n\r\n`;
      const alone = `GET ${url} HTTP/1.1\r\nHost: h\r\nCookie: theme=dark\r\n\r\n`;
      const closing = `GET ${url} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`;
      // Kept alive, repeated (the fast lane's reuse), then without the session on the same connection.
      const answers = splitResponses(await exchange(ferry.httpPort, `${split}${split}${alone}${split}${closing}`));
      assert.deepEqual(
        answers.map((a) => a.status),
        [200, 200, 401, 200, 401],
      );
      assert.equal(answers[0]?.body, SECRET);
      assert.equal(answers[3]?.body, SECRET);
      assert.doesNotMatch(answers[2]?.body ?? '', /only for bob/);
      // One connection per request, closing.
      const once1 = splitResponses(await exchange(ferry.httpPort, `GET ${url} HTTP/1.1\r\nHost: h\r\nCookie: ferry_session=${session}\r\nCookie: theme=dark\r\nConnection: close\r\n\r\n`));
      assert.equal(once1[0]?.status, 200, 'the session on the first line');
      const once2 = splitResponses(await exchange(ferry.httpPort, `GET ${url} HTTP/1.1\r\nHost: h\r\nCookie: theme=dark\r\nConnection: close\r\nCookie: ferry_session=${session}\r\n\r\n`));
      assert.equal(once2[0]?.status, 200, 'the session on the second line');
      assert.equal(once2[0]?.body, SECRET);
    });

    it('answers 304 when either of two If-None-Match lines matches', async () => {
      const url = '/cdn/site/lib@main/lib.js';
      const first = await runOk('curl', ['-sS', '-D', '-', '-o', '/dev/null', `${ferry.baseUrl}${url}`]);
      const etag = /^etag: (.*)\r$/im.exec(first.stdout)?.[1];
      assert.ok(etag, first.stdout);
      const matchSecond = `GET ${url} HTTP/1.1\r\nHost: h\r\nIf-None-Match: "nope"\r\nIf-None-Match: ${etag}\r\n\r\n`;
      const matchFirst = `GET ${url} HTTP/1.1\r\nHost: h\r\nIf-None-Match: ${etag}\r\nIf-None-Match: "nope"\r\n\r\n`;
      const neither = `GET ${url} HTTP/1.1\r\nHost: h\r\nIf-None-Match: "nope"\r\nIf-None-Match: "other"\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n`;
      const answers = splitResponses(await exchange(ferry.httpPort, `${matchSecond}${matchSecond}${matchFirst}${matchFirst}${neither}`));
      assert.deepEqual(
        answers.map((a) => a.status),
        [304, 304, 304, 304, 200],
      );
      assert.equal(answers[4]?.body, PUBLIC);
      // Two Accept-Encoding lines are one list: gzip offered on the second line is used.
      const gz = splitResponses(await exchange(ferry.httpPort, `GET ${url} HTTP/1.1\r\nHost: h\r\nAccept-Encoding: identity;q=0.5\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n`));
      assert.equal(gz[0]?.headers.get('content-encoding'), 'gzip');
    });
  });
}
