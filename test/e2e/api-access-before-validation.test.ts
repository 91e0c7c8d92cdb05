import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { runOk, startFerry, type FerryServer } from './harness.js';

/** curl with an argument array: the status, the head and the parsed JSON error (if any). */
async function curl(args: readonly string[]): Promise<{ status: number; head: string; error: { code: string; message: string } | undefined }> {
  const r = await runOk('curl', ['-sS', '-D', '-', ...args]);
  const split = r.stdout.indexOf('\r\n\r\n');
  const head = r.stdout.slice(0, split);
  let error: { code: string; message: string } | undefined;
  try {
    error = (JSON.parse(r.stdout.slice(split + 4)) as { error?: { code: string; message: string } }).error;
  } catch {
    /* not JSON */
  }
  return { status: Number(head.split(' ')[1]), head, error };
}

function tokenOf(stdout: string): string {
  const m = /(ferry_[A-Za-z0-9_-]+)/.exec(stdout);
  assert.ok(m, `a token in ${stdout}`);
  return m[1] as string;
}

/** A write with a body that breaks the route's schema, and the level the route needs. */
interface BadWrite {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly needs: 'write' | 'admin';
  /** Words of the validation message a permitted caller gets. */
  readonly says: RegExp;
}

const BAD_WRITES: readonly BadWrite[] = [
  { method: 'PATCH', path: '/repos/team/app', body: '{"private":"yes"}', needs: 'admin', says: /json\.private: send a JSON boolean/ },
  { method: 'POST', path: '/repos/team/app/hooks', body: '{"type":"gitea","config":3}', needs: 'admin', says: /json\.config/ },
  { method: 'PATCH', path: '/repos/team/app/hooks/1', body: '{"active":"no"}', needs: 'admin', says: /json\.active/ },
  { method: 'DELETE', path: '/repos/team/app/hooks/0', body: '', needs: 'admin', says: /param\.id/ },
  { method: 'POST', path: '/repos/team/app/transfer', body: '{"new_owner":5}', needs: 'admin', says: /json\.new_owner/ },
  { method: 'POST', path: '/repos/team/app/statuses/0123456789abcdef0123456789abcdef01234567', body: '{"state":"great"}', needs: 'write', says: /json\.state/ },
  { method: 'POST', path: '/repos/team/app/statuses/0123456789abcdef0123456789abcdef01234567', body: 'not json', needs: 'write', says: /JSON body does not parse/ },
];

/**
 * Field report: the REST API validated a request before deciding who may make it, so an anonymous
 * caller with a bad body got 400 instead of 401, a stranger to a private repo 400 instead of 404,
 * and a reader 400 instead of 403. Gitea and GitHub answer authentication, existence, authorization,
 * then validation.
 */
describe('API validation after authentication, visibility and authorization (curl)', () => {
  let server: FerryServer;
  let api: string;
  const tokens = new Map<string, string>();

  before(async () => {
    server = await startFerry();
    api = `${server.baseUrl}/api/v1`;
    for (const name of ['alice', 'bob', 'carol', 'dave']) {
      await server.cliOk(['user', 'add', name]);
      tokens.set(name, tokenOf((await server.cliOk(['token', 'add', name])).stdout));
    }
    await server.cliOk(['repo', 'create', 'team/app', '--git']);
    await server.cliOk(['grant', 'alice', 'team/app', 'admin']);
    await server.cliOk(['grant', 'dave', 'team/app', 'write']);
    await server.cliOk(['grant', 'bob', 'team/app', 'read']);
  });
  after(() => server?.stop());

  const send = (w: BadWrite, who: string | undefined) =>
    curl([
      '-X',
      w.method,
      ...(who === undefined ? [] : ['-H', `Authorization: token ${tokens.get(who) ?? ''}`]),
      ...(w.body === '' ? [] : ['-H', 'Content-Type: application/json', '--data-raw', w.body]),
      `${api}${w.path}`,
    ]);

  it('api validation before authentication: anonymous bad body is 401 with a challenge, not 400', async () => {
    for (const w of [...BAD_WRITES, { method: 'POST', path: '/user/keys', body: '{"key":1}', needs: 'write', says: /json\.key/ } as const, { method: 'POST', path: '/orgs/team/repos', body: '{"name":7}', needs: 'write', says: /json\.name/ } as const]) {
      const r = await send(w, undefined);
      assert.equal(r.status, 401, `${w.method} ${w.path}: ${JSON.stringify(r.error)}`);
      assert.equal(r.error?.code, 'FERRY_AUTH_REQUIRED');
      assert.match(r.head, /^www-authenticate: Basic/im);
    }
    // Reads about "the user" with a bad path or query.
    for (const path of ['/user/keys/0', '/user/repos?limit=lots']) {
      const r = await curl([`${api}${path}`]);
      assert.equal(r.status, 401, `GET ${path}: ${JSON.stringify(r.error)}`);
    }
    // The mirror-sync webhook: an unsigned request with a bad path is 401 too.
    for (const path of ['/mirrors/bad%ZZ/sync', '/mirrors/-bad/sync']) {
      const hook = await curl(['-X', 'POST', '-H', 'Content-Type: application/json', '--data-raw', '{}', `${api}${path}`]);
      assert.equal(hook.status, 401, `${path}: ${JSON.stringify(hook.error)}`);
    }
  });

  it('api validation before visibility: a stranger with a bad body on a private repo gets 404, as for a missing repo', async () => {
    for (const w of BAD_WRITES) {
      const r = await send(w, 'carol');
      assert.equal(r.status, 404, `${w.method} ${w.path}: ${JSON.stringify(r.error)}`);
      assert.equal(r.error?.code, 'FERRY_REPO_NOT_FOUND');
    }
    const query = await curl(['-H', `Authorization: token ${tokens.get('carol') ?? ''}`, `${api}/repos/team/app/commits?limit=lots`]);
    assert.equal(query.status, 404, 'a bad query of a repo the caller may not see');
  });

  it('api validation before authorization: a reader (and a writer on admin routes) with a bad body gets 403', async () => {
    for (const w of BAD_WRITES) {
      const r = await send(w, 'bob');
      assert.equal(r.status, 403, `reader ${w.method} ${w.path}: ${JSON.stringify(r.error)}`);
      assert.equal(r.error?.code, 'FERRY_ACCESS_DENIED');
      if (w.needs === 'admin') {
        const writer = await send(w, 'dave');
        assert.equal(writer.status, 403, `writer ${w.method} ${w.path}: ${JSON.stringify(writer.error)}`);
      }
    }
  });

  it('a caller who may make the request gets 400 with the message naming the bad field', async () => {
    for (const w of BAD_WRITES) {
      const r = await send(w, w.needs === 'admin' ? 'alice' : 'dave');
      assert.equal(r.status, 400, `${w.method} ${w.path}: ${JSON.stringify(r.error)}`);
      assert.equal(r.error?.code, 'FERRY_INVALID_INPUT');
      assert.match(r.error?.message ?? '', w.says);
    }
    const query = await curl(['-H', `Authorization: token ${tokens.get('bob') ?? ''}`, `${api}/repos/team/app/commits?limit=lots`]);
    assert.equal(query.status, 400, 'a reader gets the bad query named');
  });
});
