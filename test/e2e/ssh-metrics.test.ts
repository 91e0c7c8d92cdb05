import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, makeHgRepo, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

async function metric(server: FerryServer, series: string): Promise<number> {
  const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
  const m = new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(text);
  return Number(m?.[1] ?? 0);
}

const series = (vcs: string, transport: string, op: string) => `ferry_transfers_total{vcs="${vcs}",transport="${transport}",op="${op}"}`;

describe('/metrics counts SSH sessions and transfers', () => {
  let server: FerryServer;
  let alice: Client;
  let reader: Client;
  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice', { admin: true });
    reader = await addUser(server, 'reader');
    await server.cliOk(['repo', 'create', 'team/hg']);
    await server.cliOk(['repo', 'create', 'team/git', '--git']);
    await server.cliOk(['grant', 'reader', 'team/hg', 'read']);
  });
  after(async () => {
    await server.stop();
  });

  it('issue 12.23: hg and git clones and pushes over SSH, each once, and the greeting as a session', async () => {
    const hgRepo = await makeHgRepo(alice, 2);
    await runOk('hg', ['-R', hgRepo, 'push', alice.sshUrl('team/hg')], { env: alice.env });
    assert.equal(await metric(server, series('hg', 'ssh', 'push')), 1);
    assert.equal(await metric(server, series('hg', 'ssh', 'clone')), 0);

    await runOk('hg', ['clone', '-U', reader.sshUrl('team/hg'), join(tempDir(), 'c')], { env: reader.env });
    assert.equal(await metric(server, series('hg', 'ssh', 'clone')), 1);
    // A reader's push is refused: nothing received, nothing counted.
    writeFileSync(join(hgRepo, 'more.txt'), 'more\n');
    await runOk('hg', ['-R', hgRepo, 'commit', '-A', '-m', 'more'], { env: alice.env });
    const refused = await reader.hg(['-R', hgRepo, 'push', reader.sshUrl('team/hg')]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /ferry-read-only hook failed/);
    assert.equal(await metric(server, series('hg', 'ssh', 'push')), 1);

    const work = join(tempDir(), 'g');
    await runOk('git', ['init', '-q', work], { env: alice.env });
    writeFileSync(join(work, 'a.txt'), 'a\n');
    await runOk('git', ['-C', work, 'add', '.'], { env: alice.env });
    await runOk('git', ['-C', work, 'commit', '-qm', 'a'], { env: alice.env });
    await runOk('git', ['-C', work, 'push', '-q', `ssh://git@127.0.0.1:${server.sshPort}/team/git`, 'main'], { env: alice.env });
    assert.equal(await metric(server, series('git', 'ssh', 'push')), 1);
    await runOk('git', ['clone', '-q', `ssh://git@127.0.0.1:${server.sshPort}/team/git`, join(tempDir(), 'gc')], { env: alice.env });
    assert.equal(await metric(server, series('git', 'ssh', 'clone')), 1);

    const execs = await metric(server, 'ferry_ssh_sessions_total{request="exec"}');
    assert.ok(execs >= 5, `exec sessions: ${execs}`);
    await runOk(alice.sshCommand[0] as string, [...alice.sshCommand.slice(1), '127.0.0.1'], { env: alice.env });
    assert.equal(await metric(server, 'ferry_ssh_sessions_total{request="shell"}'), 1);
    assert.equal(await metric(server, 'ferry_ssh_sessions_total{request="exec"}'), execs);
    // Over HTTP, counted as before: a clone of the hg repo.
    const token = /ferry_\S+/.exec((await server.cliOk(['token', 'add', 'alice'])).stdout)?.[0];
    const httpBase = `http://alice:${token}@127.0.0.1:${server.httpPort}`;
    await runOk('hg', ['clone', '-U', '--config', 'ui.clonebundles=false', `${httpBase}/team/hg`, join(tempDir(), 'h')], { env: alice.env });
    assert.equal(await metric(server, series('hg', 'http', 'clone')), 1);
  });
});
