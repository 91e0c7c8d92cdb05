/**
 * Issue 12.7 and 12.8: paths match without regard to case on every surface, and a moved repo
 * leaves a redirect (301 on the web and the HTTP wire; over SSH the refusal names the new path,
 * only to those who may read it).
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, makeHgRepo, run, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

/** status, Location and body of one request (no redirect followed). */
async function head(url: string, user?: string): Promise<{ status: number; location: string; body: string }> {
  const r = await run('curl', ['-s', '-D', '-', ...(user ? ['-u', user] : []), url]);
  const [headers = '', body = ''] = r.stdout.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(headers)?.[1] ?? 0),
    location: /^location: (.*)$/im.exec(headers)?.[1]?.trim() ?? '',
    body,
  };
}

async function gitPushContent(client: Client, url: string): Promise<void> {
  const dir = join(tempDir('ferry-git-'), 'w');
  await runOk('git', ['init', '-q', '-b', 'main', dir], { env: client.env });
  writeFileSync(join(dir, 'index.txt'), 'hello\n');
  await runOk('git', ['-C', dir, 'add', '.'], { env: client.env });
  await runOk('git', ['-C', dir, 'commit', '-q', '-m', 'one'], { env: client.env });
  await runOk('git', ['-C', dir, 'push', '-q', url, 'main'], { env: client.env });
}

describe('repo identity: case and renames', () => {
  let server: FerryServer;
  let root: Client;
  let bob: Client;
  let eve: Client;
  let bobToken: string;
  let eveToken: string;
  const httpUrl = (path: string, token?: string) => `http://${token ? `x:${token}@` : ''}127.0.0.1:${server.httpPort}/${path}`;

  before(async () => {
    server = await startFerry();
    root = await addUser(server, 'root', { admin: true });
    bob = await addUser(server, 'bob');
    eve = await addUser(server, 'eve');
    bobToken = (await server.cliOk(['token', 'add', 'bob'])).stdout.trim();
    eveToken = (await server.cliOk(['token', 'add', 'eve'])).stdout.trim();
  });
  after(async () => {
    await server.stop();
  });

  it('paths match without regard to case on every surface; two repos may not differ only in case; each keeps its case', async () => {
    await server.cliOk(['repo', 'create', 'team/app', '--git']);
    await gitPushContent(root, root.sshUrl('team/app'));
    for (const args of [['repo', 'create', 'Team/App'], ['repo', 'create', 'TEAM/APP', '--git'], ['repo', 'create', 'Team/App/sub']]) {
      const r = await server.cli(args);
      assert.equal(r.code, 1, `${args.join(' ')} is refused`);
      assert.match(r.stderr, /team\/app/);
    }
    await server.cliOk(['repo', 'create', 'Docs/Site', '--public']);
    const hgContent = await makeHgRepo(root, 1);
    assert.equal((await root.hg(['-R', hgContent, 'push', root.sshUrl('docs/site')])).code, 0, 'hg push over SSH in another case');
    const list = (await server.cliOk(['repo', 'list'])).stdout;
    assert.match(list, /^Docs\/Site\s/m, 'the repo keeps the case it was created with');
    assert.doesNotMatch(list, /Team\/App/);
    await server.cliOk(['grant', 'bob', 'TEAM/app', 'read']);

    const work = tempDir('ferry-case-');
    const sshClone = await bob.git(['clone', bob.sshUrl('Team/App'), join(work, 'ssh')]);
    assert.equal(sshClone.code, 0, sshClone.stderr);
    const httpClone = await bob.git(['clone', httpUrl('TEAM/App', bobToken), join(work, 'http')]);
    assert.equal(httpClone.code, 0, httpClone.stderr);
    const hgClone = await bob.hg(['clone', httpUrl('DOCS/SITE'), join(work, 'hg')]);
    assert.equal(hgClone.code, 0, hgClone.stderr);
    assert.equal((await head(httpUrl('docs/site/-/log'))).status, 200, 'the web page');
    const cdn = await head(`${server.baseUrl}/cdn/DOCS/site@default/file0.txt`);
    assert.equal(cdn.status, 200, 'the CDN');
    assert.equal(cdn.body, 'content 0\n');
    await server.cliOk(['repo', 'set', 'docs/SITE', '--private']);
    assert.match((await server.cliOk(['repo', 'list'])).stdout, /^Docs\/Site\s+hg\s+private/m);
    // The grant on team/app covers Team/App; a stranger still sees nothing in any case.
    const eveClone = await eve.git(['clone', eve.sshUrl('Team/App'), join(work, 'eve')]);
    assert.notEqual(eveClone.code, 0);
    assert.match(eveClone.stderr, /does not exist or you may not see it/);
    // A change of case only is a move that needs no redirect.
    await server.cliOk(['repo', 'mv', 'docs/site', 'docs/Site']);
    assert.match((await server.cliOk(['repo', 'list'])).stdout, /^docs\/Site\s/m);
  });

  it('a renamed repo answers its old URLs with a redirect until a repo is created there (301 on web and wire, "moved to" over SSH, only to readers)', async () => {
    await server.cliOk(['repo', 'create', 'team/old', '--git']);
    await gitPushContent(root, root.sshUrl('team/old'));
    await server.cliOk(['repo', 'create', 'pub/old', '--public']);
    const hgContent = await makeHgRepo(root, 2);
    assert.equal((await root.hg(['-R', hgContent, 'push', root.sshUrl('pub/old')])).code, 0);
    await server.cliOk(['grant', 'bob', 'team/old', 'read']);
    await server.cliOk(['repo', 'mv', 'team/old', 'team/new']);
    await server.cliOk(['repo', 'mv', 'pub/old', 'pub/new']);
    const work = tempDir('ferry-moved-');

    // SSH: the refusal names the new path to a reader, and looks like a missing repo to others.
    const sshMoved = await bob.git(['clone', bob.sshUrl('team/old'), join(work, 'ssh')]);
    assert.notEqual(sshMoved.code, 0);
    assert.match(sshMoved.stderr, /ferry: team\/old moved to team\/new/);
    const hgMoved = await bob.hg(['clone', bob.sshUrl('Pub/Old'), join(work, 'hg-ssh')]);
    assert.match(hgMoved.stderr, /ferry: Pub\/Old moved to pub\/new/);
    const eveMoved = await eve.git(['clone', eve.sshUrl('team/old'), join(work, 'eve')]);
    const eveMissing = await eve.git(['clone', eve.sshUrl('team/nothing'), join(work, 'eve2')]);
    assert.equal(eveMoved.stderr.replaceAll('team/old', 'X').replaceAll(join(work, 'eve'), 'D'), eveMissing.stderr.replaceAll('team/nothing', 'X').replaceAll(join(work, 'eve2'), 'D'));
    assert.doesNotMatch(eveMoved.stderr, /team\/new/);

    // HTTP wire: 301 to the same URL under the new path; git and hg follow it.
    const refs = await head(httpUrl('team/old/info/refs?service=git-upload-pack'), `x:${bobToken}`);
    assert.equal(refs.status, 301);
    assert.equal(refs.location, '/team/new/info/refs?service=git-upload-pack');
    const gitHttp = await bob.git(['clone', httpUrl('team/old', bobToken), join(work, 'git-http')]);
    assert.equal(gitHttp.code, 0, gitHttp.stderr);
    assert.equal((await runOk('git', ['-C', join(work, 'git-http'), 'log', '--format=%s'], { env: bob.env })).stdout.trim(), 'one');
    // A push to the old path does not quietly make a new repo there (though root may create there).
    const pushOld = await root.git(['-C', join(work, 'git-http'), 'push', root.sshUrl('team/old'), 'HEAD:refs/heads/main']);
    assert.notEqual(pushOld.code, 0);
    assert.match(pushOld.stderr, /team\/old moved to team\/new/);
    const hgHttp = await bob.hg(['clone', httpUrl('pub/old'), join(work, 'hg-http')]);
    assert.equal(hgHttp.code, 0, hgHttp.stderr);
    assert.equal((await head(httpUrl('pub/old?cmd=capabilities'))).location, '/pub/new?cmd=capabilities');
    // To a stranger the old path of a private repo is a missing repo, over HTTP too.
    const eveRefs = await head(httpUrl('team/old/info/refs?service=git-upload-pack'), `x:${eveToken}`);
    const eveNothing = await head(httpUrl('team/nothing/info/refs?service=git-upload-pack'), `x:${eveToken}`);
    assert.equal(eveRefs.status, eveNothing.status);
    assert.equal(eveRefs.location, '');

    // Web pages: 301 to the same page under the new path.
    const page = await head(httpUrl('pub/old/-/log'));
    assert.equal(page.status, 301);
    assert.equal(page.location, '/pub/new/-/log');
    assert.equal((await head(httpUrl('pub/old'))).location, '/pub/new');

    // A repo created at the old path ends the redirect.
    await server.cliOk(['repo', 'create', 'pub/old']);
    assert.notEqual((await head(httpUrl('pub/old?cmd=capabilities'))).status, 301);
    assert.notEqual((await head(httpUrl('pub/old/-/log'))).status, 301);
  });
});
