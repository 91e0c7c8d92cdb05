import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, expectOk, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

function tokenOf(stdout: string): string {
  const m = /(ferry_[A-Za-z0-9_-]+)/.exec(stdout);
  assert.ok(m, `a token in ${stdout}`);
  return m[1] as string;
}

describe('file names with a space on commit and compare pages, and the files of an hg merge in the REST API', () => {
  let ferry: FerryServer;
  let alice: Client;
  let auth: string[];
  let receiver: Receiver;

  before(async () => {
    ferry = await startFerry({ toml: '[webhooks]\nallowed_hosts = "loopback"\n' });
    receiver = await startReceiver('s3cret-for-tests');
    alice = await addUser(ferry, 'alice', { admin: true });
    auth = ['-u', `alice:${tokenOf((await ferry.cliOk(['token', 'add', 'alice'])).stdout)}`];
  });
  after(async () => {
    await receiver?.close();
    await ferry?.stop();
  });

  async function page(path: string): Promise<string> {
    return (await runOk('curl', ['-sS', '--fail', ...auth, `${ferry.baseUrl}${path}`])).stdout;
  }

  /** The names in a page's changed-files list (as HTML text; these have no specials). */
  function changedFiles(body: string): string[] {
    const list = /<details class="file" id="changed-files"[\s\S]*?<\/details>/.exec(body)?.[0] ?? '';
    return [...list.matchAll(/<li><a class="grow mono[^"]*" href="[^"]*">([^<]*)<\/a>/g)].map((m) => m[1] as string);
  }

  it('names `sp ace.txt` on the commit and compare pages of git and hg without the TAB git and hg put after it in ---/+++ lines', async () => {
    const work = tempDir('ferry-space-');
    // git
    const g = join(work, 'g');
    await expectOk(alice.git(['init', '-q', '-b', 'main', g]));
    writeFileSync(join(g, 'base.txt'), 'base\n');
    await expectOk(alice.git(['-C', g, 'add', '-A']));
    await expectOk(alice.git(['-C', g, 'commit', '-q', '-m', 'base']));
    mkdirSync(join(g, 'many'));
    writeFileSync(join(g, 'many', 'sp ace.txt'), 'one\n');
    writeFileSync(join(g, 'sp ace.txt'), 'two\n');
    await expectOk(alice.git(['-C', g, 'add', '-A']));
    await expectOk(alice.git(['-C', g, 'commit', '-q', '-m', 'spaces']));
    await ferry.cliOk(['repo', 'create', 'team/gsp', '--git']);
    await expectOk(alice.git(['-C', g, 'push', '-q', `ssh://git@127.0.0.1:${ferry.sshPort}/team/gsp`, 'main']));
    const gitTip = (await expectOk(alice.git(['-C', g, 'rev-parse', 'HEAD']))).stdout.trim();
    const gitBase = (await expectOk(alice.git(['-C', g, 'rev-parse', 'HEAD~1']))).stdout.trim();
    // hg
    const h = join(work, 'h');
    await expectOk(alice.hg(['init', h]));
    writeFileSync(join(h, 'base.txt'), 'base\n');
    await expectOk(alice.hg(['-R', h, 'commit', '-A', '-m', 'base']));
    mkdirSync(join(h, 'many'));
    writeFileSync(join(h, 'many', 'sp ace.txt'), 'one\n');
    writeFileSync(join(h, 'sp ace.txt'), 'two\n');
    await expectOk(alice.hg(['-R', h, 'commit', '-A', '-m', 'spaces']));
    await ferry.cliOk(['repo', 'create', 'team/hsp']);
    await expectOk(alice.hg(['-R', h, 'push', alice.sshUrl('team/hsp')]));
    const hgTip = (await expectOk(alice.hg(['-R', h, 'log', '-r', '.', '-T', '{node}']))).stdout.trim();
    const hgBase = (await expectOk(alice.hg(['-R', h, 'log', '-r', '.^', '-T', '{node}']))).stdout.trim();

    for (const path of [`/team/gsp/-/commit/${gitTip}`, `/team/gsp/-/compare/${gitBase}...${gitTip}`, `/team/hsp/-/commit/${hgTip}`, `/team/hsp/-/compare/${hgBase}...${hgTip}`]) {
      const body = await page(path);
      assert.doesNotMatch(body, /%09|sp ace\.txt\t/, `${path}: no TAB after a name`);
      assert.deepEqual(changedFiles(body).sort(), ['many/sp ace.txt', 'sp ace.txt'], path);
      // The one file's own page answers for the name without a TAB, and its links carry none.
      const one = await page(`${path}?file=many%2Fsp+ace.txt`);
      assert.doesNotMatch(one, /%09/, `${path}?file=`);
      assert.match(one, /\?file=many%2Fsp(\+|%20)ace\.txt"|many\/sp ace\.txt/, `${path}?file=`);
    }
  });

  it('lists the files of an hg merge against its first parent (as `hg status --change`), agreeing with its stats', async () => {
    const h = join(tempDir('ferry-merge-'), 'h');
    const hg = (...args: string[]) => expectOk(alice.hg(['--cwd', h, ...args]), `hg ${args.join(' ')}`);
    await expectOk(alice.hg(['init', h]));
    writeFileSync(join(h, 'a.txt'), 'a\n');
    writeFileSync(join(h, 'c.txt'), 'c\n');
    await hg('commit', '-A', '-m', 'one');
    writeFileSync(join(h, 'main.txt'), 'main\n');
    await hg('commit', '-A', '-m', 'main side');
    await hg('update', '-q', '0');
    writeFileSync(join(h, 'side.txt'), 'side\n');
    await hg('mv', 'c.txt', 'd.txt');
    await hg('commit', '-A', '-m', 'other side');
    await hg('update', '-q', '1');
    await hg('merge', '-q', '2');
    await hg('commit', '-m', 'merge');
    const merge = (await hg('log', '-r', '.', '-T', '{node}')).stdout.trim();
    const status = (await hg('status', '--change', merge)).stdout.trim().split('\n').sort();
    assert.deepEqual(status, ['A d.txt', 'A side.txt', 'R c.txt']);
    await ferry.cliOk(['repo', 'create', 'team/hmerge']);
    await ferry.cliOk(['hook', 'add', 'team/hmerge', receiver.url, '--secret', 's3cret-for-tests']);
    await hg('push', alice.sshUrl('team/hmerge'));
    // The push event lists the merge's files against its first parent too (as git's --first-parent -m).
    const pushes = await receiver.waitFor((r) => r.headers['x-github-event'] === 'push');
    const commits = (pushes[0]?.json.commits ?? []) as { id: string; added: string[]; removed: string[]; modified: string[] }[];
    const pushed = commits.find((x) => x.id === merge);
    assert.ok(pushed, JSON.stringify(pushes[0]?.json));
    assert.deepEqual([pushed?.added.sort(), pushed?.removed, pushed?.modified], [['d.txt', 'side.txt'], ['c.txt'], []], JSON.stringify(pushed));

    type Commit = { sha: string; files: { filename: string; status: string; additions?: number }[]; stats: { total: number; additions: number; deletions: number } };
    // `hg status --change -C` against the first parent: c.txt went to d.txt (one rename, as `hg diff
    // --git -c` prints it), side.txt was added; `hg log --stat --git` counts side.txt's one line.
    const expected = [
      ['d.txt', 'renamed'],
      ['side.txt', 'added'],
    ];
    const one = JSON.parse(await page(`/api/v1/repos/team/hmerge/commits/${merge}`)) as Commit;
    const listed = (JSON.parse(await page('/api/v1/repos/team/hmerge/commits?limit=1')) as Commit[])[0];
    const gitCommit = JSON.parse(await page(`/api/v1/repos/team/hmerge/git/commits/${merge}`)) as Commit;
    for (const [what, c] of [['commits/{sha}', one], ['commits', listed], ['git/commits/{sha}', gitCommit]] as const) {
      assert.equal(c?.sha, merge, what);
      const names = (c?.files ?? []).map((f) => [f.filename, f.status]).sort((x, y) => String(x[0]).localeCompare(String(y[0])));
      assert.deepEqual(names, expected, `${what}: ${JSON.stringify(c?.files)}`);
      assert.deepEqual(c?.stats, { total: 1, additions: 1, deletions: 0 }, `${what}: stats`);
    }
  });
});
