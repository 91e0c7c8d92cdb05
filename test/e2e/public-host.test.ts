import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, run, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

function unescapeHtml(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&');
}

/** The SSH clone command, the ~/.ssh/config snippet and the alias clone line of a repo page. */
async function repoPage(server: FerryServer, path: string): Promise<{ clone: string; snippet: string; aliasClone: string }> {
  const res = await fetch(`${server.baseUrl}/${path}`);
  assert.equal(res.status, 200);
  const body = await res.text();
  const clone = /<code id="clone-ssh"[^>]*>([^<]*)<\/code>/.exec(body)?.[1];
  const snippet = /<pre class="snippet" id="ssh-config">([^<]*)<\/pre>/.exec(body)?.[1];
  const aliasClone = /<code id="clone-alias">([^<]*)<\/code>/.exec(body)?.[1];
  assert.ok(clone && snippet && aliasClone, body);
  return { clone: unescapeHtml(clone), snippet: unescapeHtml(snippet), aliasClone: unescapeHtml(aliasClone) };
}

/** `ssh -G` with only this config file: what OpenSSH would do for HOST. */
async function sshResolves(config: string, host: string): Promise<{ hostname: string; port: string }> {
  const r = await run('ssh', ['-G', '-F', config, host]);
  assert.equal(r.code, 0, r.stderr);
  return { hostname: /^hostname (.*)$/m.exec(r.stdout)?.[1] ?? '', port: /^port (.*)$/m.exec(r.stdout)?.[1] ?? '' };
}

for (const setup of [
  { name: 'no base_url', toml: undefined, host: 'localhost' },
  { name: 'base_url set', toml: '[http]\nbase_url = "https://code.example.org/"\n', host: 'code.example.org' },
] as const) {
  describe(`one public host name (${setup.name})`, () => {
    let server: FerryServer;
    let alice: Client;
    before(async () => {
      server = await startFerry({ toml: setup.toml });
      alice = await addUser(server, 'alice', { admin: true });
      await server.cliOk(['repo', 'create', 'team/app', '--public']);
    });
    after(async () => {
      await server.stop();
    });

    it('issue 12.21: the SSH greeting, the repo page and ferry serve name the same ssh:// host', async () => {
      const base = `ssh://${setup.host}:${server.sshPort}`;
      const greeting = await alice.ssh(['127.0.0.1']);
      assert.equal(greeting.code, 0, greeting.stderr);
      assert.match(greeting.stdout, new RegExp(`^Clone with: hg clone ${base}/PATH  or  git clone ${base}/PATH$`, 'm'));
      assert.equal((await repoPage(server, 'team/app')).clone, `hg clone ${base}/team/app`);
      assert.match(server.output(), new RegExp(`^ferry: web pages at .*; clone with hg clone ${base}/PATH$`, 'm'));
    });

    it('issue 12.22: the ~/.ssh/config snippet names an alias; pasted, it leaves ssh HOST alone and clones as shown', async () => {
      const page = await repoPage(server, 'team/app');
      const alias = `ferry-${setup.host}`;
      assert.equal(page.snippet, `Host ${alias}\n  HostName ${setup.host}\n  Port ${server.sshPort}\n  IdentityFile ~/.ssh/id_ed25519`);
      assert.match(server.output(), new RegExp(`Host ${alias} / HostName ${setup.host} / Port ${server.sshPort}$`, 'm'));
      const config = join(tempDir(), 'config');
      // As a user pastes it; their key is where the snippet says (HOME is the client's home).
      writeFileSync(config, `${page.snippet.replace('~/.ssh/id_ed25519', alice.key.privatePath)}\n`);
      assert.deepEqual(await sshResolves(config, setup.host), { hostname: setup.host, port: '22' });
      assert.deepEqual(await sshResolves(config, alias), { hostname: setup.host, port: String(server.sshPort) });
      if (setup.host !== 'localhost') return;
      // The alias line of the page clones for real through the pasted config.
      assert.equal(page.aliasClone, `hg clone ssh://${alias}/team/app`);
      const ssh = `ssh -F ${config} -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o UserKnownHostsFile=${join(alice.home, 'known_hosts')} -o StrictHostKeyChecking=accept-new`;
      const dest = join(tempDir(), 'app');
      const r = await alice.hg(['clone', '--config', `ui.ssh=${ssh}`, `ssh://${alias}/team/app`, dest]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout + r.stderr, /updating to branch default|no changes found|0 files updated/);
    });
  });
}
