import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { addUser, run, startFerry, tempDir, type Client, type FerryServer } from './harness.js';
import { EVOLVE, ok, commit } from './hg-steps.js';

/** Mercurial's pure-Python modules instead of its C extensions. */
const PURE_PYTHON = { HGMODULEPOLICY: 'py' };

type Transport = 'ssh' | 'http';


/** Lines of `hg log -T TEMPLATE` in `dir` (visible changesets only unless `hidden`). */
async function logOf(client: Client, dir: string, template: string, options: { hidden?: boolean; evolve?: boolean } = {}): Promise<string[]> {
  const args = [...(options.evolve === false ? [] : EVOLVE), '-R', dir, 'log', ...(options.hidden ? ['--hidden'] : []), '-T', `${template}\\n`];
  return ok(await client.hg(args), 'hg log').stdout.split('\n').filter(Boolean);
}

/** The server's own view of a repo, read with the same hg (and evolve) but none of Ferry's config. */
async function serverLog(server: FerryServer, path: string, template: string, hidden = false): Promise<string[]> {
  const dir = join(server.dataDir, 'repos', path);
  const r = await run('hg', [...EVOLVE, '-R', dir, 'log', ...(hidden ? ['--hidden'] : []), '-T', `${template}\\n`], { env: { ...process.env, HGRCPATH: '', HGPLAIN: '1' } });
  return ok(r, 'server hg log').stdout.split('\n').filter(Boolean);
}


describe('hg workflows: phases, evolve and topics, clients with and without evolve', () => {
  let server: FerryServer;
  let alice: Client;
  let bob: Client;
  const tokens = new Map<string, string>();

  const url = (client: Client, transport: Transport, path: string): string => {
    if (transport === 'ssh') return client.sshUrl(path);
    const name = client === alice ? 'alice' : 'bob';
    return `http://${name}:${tokens.get(name) ?? ''}@127.0.0.1:${server.httpPort}/${path}`;
  };

  before(async () => {
    server = await startFerry({ toml: '[hg]\nclone_bundle_min_size = "1KB"\n', env: { FERRY_LOG_LEVEL: 'info' } });
    alice = await addUser(server, 'alice');
    bob = await addUser(server, 'bob');
    await addUser(server, 'carol');
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    await server.cliOk(['grant', 'bob', 'team/', 'write']);
    await server.cliOk(['grant', 'carol', 'team/', 'read']);
    for (const name of ['alice', 'bob', 'carol']) tokens.set(name, (await server.cliOk(['token', 'add', name])).stdout.trim().split(/\s+/).pop() as string);
  });
  after(async () => {
    await server.stop();
  });

  it('ferry repo set --non-publishing keeps pushed drafts draft over SSH and HTTP; --publishing turns pushes public again', async () => {
    await server.cliOk(['repo', 'create', 'team/phases']);
    const set = await server.cliOk(['repo', 'set', 'team/phases', '--non-publishing']);
    assert.match(set.stdout, /team\/phases is now non-publishing/);

    const work = join(tempDir(), 'work');
    ok(await alice.hg(['init', work]), 'init');
    ok(await commit(alice, work, 'a.txt', 'a\n', 'a'), 'commit');
    ok(await alice.hg(['-R', work, 'push', url(alice, 'ssh', 'team/phases')]), 'push over ssh');
    ok(await commit(alice, work, 'b.txt', 'b\n', 'b'), 'commit');
    ok(await alice.hg(['-R', work, 'push', url(alice, 'http', 'team/phases')]), 'push over http');
    assert.deepEqual(await serverLog(server, 'team/phases', '{desc} {phase}'), ['b draft', 'a draft']);
    assert.deepEqual(await logOf(alice, work, '{desc} {phase}'), ['b draft', 'a draft']);

    for (const transport of ['ssh', 'http'] as const) {
      const clone = join(tempDir(), 'clone');
      ok(await bob.hg(['clone', '-U', url(bob, transport, 'team/phases'), clone]), `clone over ${transport}`);
      assert.deepEqual(await logOf(bob, clone, '{desc} {phase}'), ['b draft', 'a draft'], transport);
    }

    // Back to publishing: the very next push (over HTTP, whose hgweb read the repo before) publishes.
    assert.match((await server.cliOk(['repo', 'set', 'team/phases', '--publishing'])).stdout, /team\/phases is now publishing/);
    ok(await commit(alice, work, 'c.txt', 'c\n', 'c'), 'commit');
    ok(await alice.hg(['-R', work, 'push', url(alice, 'http', 'team/phases')]), 'push over http');
    assert.deepEqual(await serverLog(server, 'team/phases', '{desc} {phase}'), ['c public', 'b public', 'a public']);
    assert.deepEqual(await logOf(alice, work, '{desc} {phase}'), ['c public', 'b public', 'a public']);
  });

  it('a repo is publishing by default, and phases are refused for git repos with a clear message', async () => {
    await server.cliOk(['repo', 'create', 'team/default-phases']);
    const work = join(tempDir(), 'work');
    ok(await alice.hg(['init', work]), 'init');
    ok(await commit(alice, work, 'a.txt', 'a\n', 'a'), 'commit');
    ok(await alice.hg(['-R', work, 'push', url(alice, 'ssh', 'team/default-phases')]), 'push');
    assert.deepEqual(await serverLog(server, 'team/default-phases', '{phase}'), ['public']);

    await server.cliOk(['repo', 'create', 'team/gitty', '--git']);
    const refused = await server.cli(['repo', 'set', 'team/gitty', '--non-publishing']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /team\/gitty is a Git repository; --publishing and --non-publishing apply to Mercurial repositories/);
    const usage = await server.cli(['repo', 'set', 'team/default-phases', '--publishing', '--non-publishing']);
    assert.equal(usage.code, 2);
  });

  for (const transport of ['ssh', 'http'] as const) {
    describe(`over ${transport}`, () => {
      const path = `team/evolve-${transport}`;
      let work: string;

      before(async () => {
        await server.cliOk(['repo', 'create', path, '--public']);
        await server.cliOk(['repo', 'set', path, '--non-publishing']);
        work = join(tempDir(), 'work');
        ok(await alice.hg([...EVOLVE, 'init', work]), 'init');
        ok(await commit(alice, work, 'base.txt', 'base\n', 'base', EVOLVE), 'commit');
        ok(await alice.hg([...EVOLVE, '-R', work, 'push', url(alice, transport, path)]), 'push base');
      });

      it('evolve and topic: an amended draft pushed replaces what was pushed before, for a second clone too', async () => {
        ok(await alice.hg([...EVOLVE, '-R', work, 'topic', 'feature']), 'topic');
        ok(await commit(alice, work, 'f.txt', 'first\n', 'feature work', EVOLVE), 'commit');
        ok(await alice.hg([...EVOLVE, '-R', work, 'push', url(alice, transport, path)]), 'push');

        const second = join(tempDir(), 'second');
        ok(await bob.hg([...EVOLVE, 'clone', url(bob, transport, path), second]), 'clone');
        assert.deepEqual(await logOf(bob, second, '{desc} {topic} {phase}'), ['feature work feature draft', 'base  draft']);

        writeFileSync(join(work, 'f.txt'), 'amended\n');
        ok(await alice.hg([...EVOLVE, '-R', work, 'amend']), 'amend');
        const push = ok(await alice.hg([...EVOLVE, '-R', work, 'push', url(alice, transport, path)]), 'push of the amended draft');
        assert.match(push.stdout + push.stderr, /1 new obsolescence markers/);
        assert.deepEqual(await serverLog(server, path, '{desc} {topic}'), ['feature work feature', 'base ']);
        assert.equal((await serverLog(server, path, '{node}', true)).length, 3, 'the server keeps the obsolete changeset, hidden');

        const pull = ok(await bob.hg([...EVOLVE, '-R', second, 'pull', '-u', url(bob, transport, path)]), 'pull');
        assert.match(pull.stdout + pull.stderr, /obsoleted 1 changesets/);
        assert.deepEqual(await logOf(bob, second, '{desc} {topic}'), ['feature work feature', 'base ']);
        assert.equal((await logOf(bob, second, '{node}', { hidden: true })).length, 3);
        assert.deepEqual(await logOf(bob, second, '{node}'), await serverLog(server, path, '{node}'));
        assert.equal((await logOf(bob, second, '{obsolete}', { hidden: true })).filter((o) => o === 'obsolete').length, 1);
      });

      it('hg without evolve clones, pulls and pushes the same repo and never sees the obsolete changeset', async () => {
        const plain = join(tempDir(), 'plain');
        ok(await bob.hg(['clone', url(bob, transport, path), plain]), 'clone');
        assert.deepEqual(await logOf(bob, plain, '{node}', { evolve: false }), await serverLog(server, path, '{node}'));
        // A client without topic sees the topic's work as the branch's head: work on the branch itself.
        ok(await bob.hg(['-R', plain, 'update', '-r', 'desc(base)']), 'update');
        ok(await commit(bob, plain, 'plain.txt', 'plain\n', 'plain work'), 'commit');
        ok(await bob.hg(['-R', plain, 'push', url(bob, transport, path)]), 'push without evolve');
        assert.equal((await serverLog(server, path, '{desc}'))[0], 'plain work');
        ok(await alice.hg([...EVOLVE, '-R', work, 'pull', '-u', url(alice, transport, path)]), 'evolve client pulls it');
        assert.equal((await logOf(alice, work, '{desc}'))[0], 'plain work');
      });

      it('a pure-Python hg (HGMODULEPOLICY=py) clones, pulls and pushes', async () => {
        const pure = join(tempDir(), 'pure');
        const clone = await bob.hg(['clone', url(bob, transport, path), pure], { env: PURE_PYTHON });
        ok(clone, 'pure clone');
        assert.deepEqual(await logOf(bob, pure, '{node}', { evolve: false }), await serverLog(server, path, '{node}'));
        ok(await bob.hg(['-R', pure, 'update', '-r', 'desc("plain work")'], { env: PURE_PYTHON }), 'update');
        ok(await commit(bob, pure, 'pure.txt', 'pure\n', 'pure python work'), 'commit');
        ok(await bob.hg(['-R', pure, 'push', url(bob, transport, path)], { env: PURE_PYTHON }), 'pure push');
        ok(await bob.hg(['-R', pure, 'pull', url(bob, transport, path)], { env: PURE_PYTHON }), 'pure pull');
        assert.equal((await serverLog(server, path, '{desc}'))[0], 'pure python work');
      });

      it('a push adding a second head to a named branch outside a topic is refused with hg\'s message; a topic may add its own head', async () => {
        const other = join(tempDir(), 'other');
        ok(await alice.hg([...EVOLVE, 'clone', url(alice, transport, path), other]), 'clone');
        ok(await alice.hg([...EVOLVE, '-R', other, 'update', '-r', 'desc(base)']), 'update to base');
        ok(await alice.hg([...EVOLVE, '-R', other, 'topic', '--clear']), 'no topic');
        ok(await commit(alice, other, 'head.txt', 'second head\n', 'second head', EVOLVE), 'commit');
        const before = await serverLog(server, path, '{node}', true);
        const forced = await alice.hg([...EVOLVE, '-R', other, 'push', '--force', '-r', '.', url(alice, transport, path)]);
        assert.notEqual(forced.code, 0);
        assert.match(forced.stdout + forced.stderr, /rejecting multiple heads on branch "default"/);
        assert.deepEqual(await serverLog(server, path, '{node}', true), before);

        ok(await alice.hg([...EVOLVE, '-R', other, 'topic', 'side']), 'topic');
        ok(await alice.hg([...EVOLVE, '-R', other, 'amend']), 'move it into a topic');
        ok(await alice.hg([...EVOLVE, '-R', other, 'push', '-r', '.', url(alice, transport, path)]), 'a topic head is welcome');
        assert.ok((await serverLog(server, path, '{desc} {topic}')).includes('second head side'));
      });

      it('topics show in the web log and branches page, and in the CDN as topic/NAME', async () => {
        const branches = await fetch(`${server.baseUrl}/${path}/-/branches`);
        const page = await branches.text();
        assert.equal(branches.status, 200, page);
        assert.match(page, /Topics/);
        assert.match(page, /topic\/feature/);
        const log = await (await fetch(`${server.baseUrl}/${path}/-/log`)).text();
        assert.match(log, /badge topic[^>]*>feature</);

        const topicFile = await fetch(`${server.baseUrl}/cdn/${path}@topic/feature/f.txt`);
        assert.equal(topicFile.status, 200);
        assert.equal(await topicFile.text(), 'amended\n');
        // The named branch serves its head outside topics: the plain and pure-Python work, no f.txt.
        const branchFile = await fetch(`${server.baseUrl}/cdn/${path}@default/pure.txt`);
        assert.equal(branchFile.status, 200);
        assert.equal((await fetch(`${server.baseUrl}/cdn/${path}@default/head.txt`)).status, 404);
        assert.equal((await fetch(`${server.baseUrl}/cdn/${path}@topic/side/head.txt`)).status, 200);
      });
    });
  }

  it('clone bundles carry obsolescence markers: an evolve clone from a bundle hides the obsolete changeset', async () => {
    const path = 'team/evolve-http';
    const bundlesReady = () => server.output().split('\n').filter((l) => l.includes('hg clone bundle: ready')).length;
    const before = bundlesReady();
    const first = join(tempDir(), 'first');
    ok(await bob.hg([...EVOLVE, 'clone', '-U', url(bob, 'http', path), first]), 'clone');
    for (let i = 0; i < 100 && bundlesReady() <= before; i++) await sleep(100);
    assert.ok(bundlesReady() > before, server.output());
    for (const evolve of [true, false]) {
      const dir = join(tempDir(), 'bundled');
      const clone = ok(await bob.hg([...(evolve ? EVOLVE : []), 'clone', '-U', url(bob, 'http', path), dir]), 'clone from a bundle');
      assert.match(clone.stdout + clone.stderr, /applying clone bundle/);
      assert.deepEqual(await logOf(bob, dir, '{node}', { evolve }), await serverLog(server, path, '{node}'), evolve ? 'with evolve' : 'without evolve');
      assert.deepEqual(await logOf(bob, dir, '{phase}', { evolve }).then((p) => [...new Set(p)]), ['draft']);
    }
  });
});
