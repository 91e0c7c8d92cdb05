import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run, tempDir, type Client, type FerryServer } from './harness.js';
import { filesUnder, largeText, ok, startLargeFilesHost, type LargeFilesHost, type Transport } from './large-files.js';
import { startHgServe, type Remote } from './remotes.js';

/** A client's hg with largefiles, as teams that used it run it. */
const LARGEFILES = ['--config', 'extensions.largefiles='];

describe('hg largefiles: clone and push over SSH and HTTP, import, CDN and raw view', () => {
  let host: LargeFilesHost;
  let server: FerryServer;
  let alice: Client;
  let carol: Client;
  let tokens: ReadonlyMap<string, string>;
  const pushed = new Map<Transport, string>();

  const url = (client: Client, transport: Transport, path: string): string => host.url(client === alice ? 'alice' : 'carol', transport, path);
  /** A fresh largefiles user cache, so a clone gets its large files from the server. */
  const freshCache = () => ['--config', `largefiles.usercache=${join(tempDir(), 'cache')}`];
  const storedOnServer = (sha: string) => filesUnder(server.dataDir).filter((f) => f.endsWith(`/${sha}`));

  before(async () => {
    host = await startLargeFilesHost(['alice', 'carol']);
    ({ server, tokens } = host);
    [alice, carol] = ['alice', 'carol'].map((name) => host.clients.get(name) as Client) as [Client, Client];
  });
  after(async () => {
    await server.stop();
  });

  for (const transport of ['ssh', 'http'] as const) {
    describe(`over ${transport}`, () => {
      const path = `team/large-${transport}`;

      before(async () => {
        await server.cliOk(['repo', 'create', path, '--public']);
      });

      it('a first push of a largefiles repo stores the large file in the repo; a reader clones it; a second push adds one', async () => {
        const big = largeText(`big ${transport}`);
        pushed.set(transport, big.content);
        const work = join(tempDir(), 'work');
        ok(await alice.hg([...LARGEFILES, 'init', work]), 'init');
        writeFileSync(join(work, 'big.bin'), big.content);
        writeFileSync(join(work, 'small.txt'), 'small\n');
        ok(await alice.hg([...LARGEFILES, '-R', work, 'add', '--large', join(work, 'big.bin')]), 'add --large');
        ok(await alice.hg([...LARGEFILES, '-R', work, 'commit', '-A', '-m', 'large']), 'commit');
        ok(await alice.hg([...LARGEFILES, ...freshCache(), '-R', work, 'push', url(alice, transport, path)]), 'push');
        const repoDir = join(server.dataDir, 'repos', 'team', `large-${transport}`);
        assert.equal(readFileSync(join(repoDir, '.hg', 'largefiles', big.sha1), 'utf8'), big.content, 'the large file is in the repo\'s store');

        const clone = join(tempDir(), 'clone');
        ok(await carol.hg([...LARGEFILES, ...freshCache(), 'clone', url(carol, transport, path), clone]), 'reader clone');
        assert.equal(readFileSync(join(clone, 'big.bin'), 'utf8'), big.content);

        const more = largeText(`more ${transport}`);
        writeFileSync(join(work, 'more.bin'), more.content);
        ok(await alice.hg([...LARGEFILES, '-R', work, 'add', '--large', join(work, 'more.bin')]), 'add --large');
        ok(await alice.hg([...LARGEFILES, '-R', work, 'commit', '-m', 'more']), 'commit');
        ok(await alice.hg([...LARGEFILES, ...freshCache(), '-R', work, 'push', url(alice, transport, path)]), 'second push');
        ok(await carol.hg([...LARGEFILES, ...freshCache(), '-R', clone, 'pull', '--update', url(carol, transport, path)]), 'reader pull');
        assert.equal(readFileSync(join(clone, 'more.bin'), 'utf8'), more.content);
      });

      it('refuses a reader\'s putlfile and stores nothing (reader-putlfile-over-' + transport + ')', async () => {
        const clone = join(tempDir(), 'clone');
        ok(await carol.hg([...LARGEFILES, ...freshCache(), 'clone', url(carol, transport, path), clone]), 'reader clone');
        const extra = largeText(`reader ${transport}`);
        writeFileSync(join(clone, 'extra.bin'), extra.content);
        ok(await carol.hg([...LARGEFILES, '-R', clone, 'add', '--large', join(clone, 'extra.bin')]), 'add --large');
        ok(await carol.hg([...LARGEFILES, '-R', clone, 'commit', '-m', 'reader']), 'commit');
        const push = await carol.hg([...LARGEFILES, '-R', clone, 'push', url(carol, transport, path)]);
        assert.notEqual(push.code, 0, 'the reader\'s push went through');
        assert.deepEqual(storedOnServer(extra.sha1), [], 'the reader\'s large file reached the server');
        assert.ok(!existsSync(join(process.env.HOME ?? '/nonexistent', '.cache', 'largefiles', extra.sha1)), 'the large file reached the server\'s user cache');
        // The refusal itself, asked directly: hg's wire protocol over HTTP with the largefile as body.
        if (transport === 'http') {
          const body = join(tempDir(), 'body');
          writeFileSync(body, extra.content);
          const put = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-u', `carol:${tokens.get('carol') ?? ''}`, '-H', 'Content-Type: application/mercurial-0.1', '--data-binary', `@${body}`, `${server.baseUrl}/${path}?cmd=putlfile&sha=${extra.sha1}`]);
          assert.equal(put.stdout, '403');
          assert.deepEqual(storedOnServer(extra.sha1), []);
        }
      });
    });
  }

  it('never serves one repo\'s large file from another repo (largefile-user-cache-crosses-repos)', async () => {
    // alice stores a large file in a private repo carol may not read...
    await server.cliOk(['repo', 'create', 'vault/secret']);
    await server.cliOk(['grant', 'alice', 'vault/', 'write']);
    const secret = largeText('secret');
    const work = join(tempDir(), 'work');
    ok(await alice.hg([...LARGEFILES, 'init', work]), 'init');
    writeFileSync(join(work, 'secret.bin'), secret.content);
    ok(await alice.hg([...LARGEFILES, '-R', work, 'add', '--large', join(work, 'secret.bin')]), 'add --large');
    ok(await alice.hg([...LARGEFILES, '-R', work, 'commit', '-m', 'secret']), 'commit');
    ok(await alice.hg([...LARGEFILES, ...freshCache(), '-R', work, 'push', url(alice, 'http', 'vault/secret')]), 'push');
    // ...and carol, a reader of team/large-http, asks that repo for it by its hash.
    const ask = (cmd: string) => run('curl', ['-sS', '-u', `carol:${tokens.get('carol') ?? ''}`, `${server.baseUrl}/team/large-http?cmd=${cmd}&sha=${secret.sha1}`]);
    const got = await ask('getlfile');
    assert.ok(!got.stdout.includes(secret.content.slice(0, 200)), 'the other repo\'s large file was served');
    assert.equal((await ask('statlfile')).stdout, '2\n', 'the large file is said to be present');
  });

  it('the CDN and the web raw view serve the large file at its own path, not the standin', async () => {
    const big = pushed.get('ssh') as string;
    for (const where of [`/cdn/team/large-ssh@default/big.bin`, `/team/large-ssh/-/raw/default/big.bin`]) {
      const r = await run('curl', ['-sS', '-f', `${server.baseUrl}${where}`]);
      assert.equal(r.code, 0, `${where}: ${r.stderr}`);
      assert.equal(r.stdout, big, where);
    }
  });

  it('a pure-Python hg (HGMODULEPOLICY=py) clones and pushes largefiles', async () => {
    const clone = join(tempDir(), 'pure');
    const env = { env: { HGMODULEPOLICY: 'py' } };
    ok(await alice.hg([...LARGEFILES, ...freshCache(), 'clone', url(alice, 'http', 'team/large-http'), clone], env), 'pure clone');
    assert.equal(readFileSync(join(clone, 'big.bin'), 'utf8'), pushed.get('http'));
    const extra = largeText('pure');
    writeFileSync(join(clone, 'pure.bin'), extra.content);
    ok(await alice.hg([...LARGEFILES, '-R', clone, 'add', '--large', join(clone, 'pure.bin')], env), 'add --large');
    ok(await alice.hg([...LARGEFILES, '-R', clone, 'commit', '-m', 'pure'], env), 'commit');
    ok(await alice.hg([...LARGEFILES, '-R', clone, 'push', url(alice, 'ssh', 'team/large-http')], env), 'pure push over ssh');
    assert.equal(storedOnServer(extra.sha1).length, 1);
  });

  describe('ferry import of a largefiles repo', () => {
    let serve: Remote;
    let big: { content: string; sha1: string };
    before(async () => {
      big = largeText('imported');
      const src = join(tempDir(), 'src');
      ok(await alice.hg([...LARGEFILES, 'init', src]), 'init');
      writeFileSync(join(src, 'big.bin'), big.content);
      ok(await alice.hg([...LARGEFILES, '-R', src, 'add', '--large', join(src, 'big.bin')]), 'add --large');
      ok(await alice.hg([...LARGEFILES, '-R', src, 'commit', '-m', 'large']), 'commit');
      // The source's large files are in its own store only (as on a server), not in a shared cache.
      serve = await startHgServe(src, { env: { HOME: tempDir() } });
    });
    after(async () => {
      await serve.stop();
    });

    it('brings the large files, which the copy then serves', async () => {
      await server.cliOk(['import', serve.url, 'team/imported-large']);
      await server.cliOk(['repo', 'set', 'team/imported-large', '--public']);
      const repoDir = join(server.dataDir, 'repos', 'team', 'imported-large');
      assert.equal(readFileSync(join(repoDir, '.hg', 'largefiles', big.sha1), 'utf8'), big.content);
      const clone = join(tempDir(), 'clone');
      ok(await carol.hg([...LARGEFILES, ...freshCache(), 'clone', url(carol, 'ssh', 'team/imported-large'), clone]), 'clone');
      assert.equal(readFileSync(join(clone, 'big.bin'), 'utf8'), big.content);
    });
  });
});
