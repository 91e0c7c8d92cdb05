import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ferryCli, run, tempDir } from './harness.js';
import { EVOLVE, ok } from './hg-steps.js';

const ENV = { ...process.env, HGRCPATH: '', HGPLAIN: '1', HGUSER: 'up <up@test>' };


const hg = (args: readonly string[]) => run('hg', [...EVOLVE, ...args], { env: ENV });
const visible = async (dir: string) => ok(await hg(['-R', dir, 'log', '-T', '{node}\\n']), 'log').stdout;

describe('hg mirrors of a source that rewrote or stripped history', () => {
  it('follow rewrites made with obsolescence markers, and strips only with --allow-force (refusal shown in ferry mirror list)', async () => {
    const src = join(tempDir('ferry-hgsrc-'), 'src');
    ok(await hg(['init', src]), 'init');
    for (const n of [1, 2, 3]) {
      writeFileSync(join(src, 'f.txt'), `${n}\n`);
      ok(await hg(['-R', src, 'commit', '-A', '-m', `c${n}`]), 'commit');
    }
    const data = tempDir('ferry-data-');
    const mirror = join(data, 'repos', 'mirrors', 'h');
    ok(await ferryCli(data, ['import', src, 'mirrors/h', '--mirror', '--every', '1h']), 'import');

    // A rewrite with evolve: the source's markers come along and the old changeset turns hidden.
    writeFileSync(join(src, 'f.txt'), 'amended\n');
    ok(await run('hg', [...EVOLVE, '-R', src, 'amend'], { env: ENV, cwd: src }), 'amend');
    ok(await ferryCli(data, ['mirror', 'sync', 'mirrors/h']), 'sync after amend');
    assert.equal(await visible(mirror), await visible(src));

    // A strip upstream, no markers: refused and kept, unless --allow-force.
    writeFileSync(join(src, 'g.txt'), 'soon gone\n');
    ok(await hg(['-R', src, 'commit', '-A', '-m', 'soon gone']), 'commit');
    ok(await ferryCli(data, ['mirror', 'sync', 'mirrors/h']), 'sync');
    const withGone = await visible(mirror);
    ok(await hg(['-R', src, '--config', 'extensions.strip=', 'strip', '--no-backup', '-r', 'tip']), 'strip');
    const refused = await ferryCli(data, ['mirror', 'sync', 'mirrors/h']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^ferry: sync of mirrors\/h refused: upstream stripped or rewrote 1 changeset\(s\) without obsolescence markers \([0-9a-f]{12}\); the mirror kept them \(sync with --allow-force/m);
    assert.equal(await visible(mirror), withGone);
    const list = ok(await ferryCli(data, ['mirror', 'list']), 'list');
    assert.match(list.stdout, /^mirrors\/h\s+hg\s+.*sync of mirrors\/h refused: upstream stripped or rewrote 1 changeset/m);

    const forced = ok(await ferryCli(data, ['mirror', 'sync', 'mirrors/h', '--allow-force']), 'forced sync');
    assert.match(forced.stdout, /1 changeset\(s\) the source no longer has removed/);
    assert.equal(await visible(mirror), await visible(src));
    assert.doesNotMatch(ok(await ferryCli(data, ['mirror', 'list']), 'list').stdout, /refused/);
  });
});
