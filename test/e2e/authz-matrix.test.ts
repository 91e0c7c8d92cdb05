/**
 * The authorization matrix: every {role} × {public, private} × {clone, push} × {ssh, http} ×
 * {hg, git} cell, run with the real clients against one server. Each cell has one expected
 * outcome; a push that is not 'ok' must have written nothing.
 */
import { strict as assert } from 'node:assert';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, makeClient, makeHgRepo, run, runOk, startFerry, tempDir, type Client, type FerryServer, type RunResult } from './harness.js';

type Role = 'anonymous' | 'reader' | 'writer' | 'admin' | 'stranger' | 'deploy-write' | 'deploy-read';
type Vcs = 'hg' | 'git';
type Visibility = 'public' | 'private';
type Op = 'clone' | 'push';
type Transport = 'ssh' | 'http';
type Outcome = 'ok' | 'denied' | 'not-found';
type Column = `${Visibility} ${Op}`;

const ALL_OK: Record<Column, Outcome> = { 'public clone': 'ok', 'public push': 'ok', 'private clone': 'ok', 'private push': 'ok' };
const READ_ONLY: Record<Column, Outcome> = { 'public clone': 'ok', 'public push': 'denied', 'private clone': 'ok', 'private push': 'denied' };
const NOTHING: Record<Column, Outcome> = { 'public clone': 'denied', 'public push': 'denied', 'private clone': 'denied', 'private push': 'denied' };
/** No credentials over HTTP: public repos are readable, everything else asks to sign in (401). */
const ANONYMOUS_HTTP: Record<Column, Outcome> = { 'public clone': 'ok', 'public push': 'denied', 'private clone': 'denied', 'private push': 'denied' };
const STRANGER: Record<Column, Outcome> = { 'public clone': 'ok', 'public push': 'denied', 'private clone': 'not-found', 'private push': 'not-found' };

/** The same for hg and git. Deploy keys are SSH keys: over HTTP their holder is anonymous. */
const EXPECTED: Record<Role, Record<Transport, Record<Column, Outcome>>> = {
  anonymous: { ssh: NOTHING, http: ANONYMOUS_HTTP },
  reader: { ssh: READ_ONLY, http: READ_ONLY },
  writer: { ssh: ALL_OK, http: ALL_OK },
  admin: { ssh: ALL_OK, http: ALL_OK },
  stranger: { ssh: STRANGER, http: STRANGER },
  'deploy-write': { ssh: ALL_OK, http: ANONYMOUS_HTTP },
  'deploy-read': { ssh: READ_ONLY, http: ANONYMOUS_HTTP },
};

const ROLES = Object.keys(EXPECTED) as Role[];
const TRANSPORTS: Transport[] = ['ssh', 'http'];
const CONCURRENCY = 3;

interface Cell {
  readonly role: Role;
  readonly vcs: Vcs;
  readonly visibility: Visibility;
  readonly op: Op;
  readonly transport: Transport;
  readonly expected: Outcome;
}

const CELLS: Cell[] = ROLES.flatMap((role) =>
  (['hg', 'git'] as const).flatMap((vcs) =>
    (['public', 'private'] as const).flatMap((visibility) =>
      (['clone', 'push'] as const).flatMap((op) =>
        TRANSPORTS.map((transport) => ({ role, vcs, visibility, op, transport, expected: EXPECTED[role][transport][`${visibility} ${op}`] })),
      ),
    ),
  ),
);

function label(c: Cell): string {
  return `${c.role} ${c.op} ${c.visibility} ${c.vcs} over ${c.transport}`;
}

function repoPath(vcs: Vcs, visibility: Visibility): string {
  return `matrix/${vcs}-${visibility}`;
}

/** What the client's exit status and words say happened. */
function outcomeOf(r: RunResult): Outcome | 'unexpected' {
  if (r.code === 0) return 'ok';
  const text = `${r.stdout}\n${r.stderr}`;
  if (/HTTP Error 404|repository '[^']*' not found|does not exist or you may not see it/.test(text)) return 'not-found';
  if (/HTTP Error 403|authorization required|could not read Username|Authentication failed|Permission denied \(publickey\)|may only read/.test(text)) return 'denied';
  return 'unexpected';
}

describe('authorization matrix', () => {
  let server: FerryServer;
  const clients = new Map<string, Client>();
  const tokens = new Map<string, string>();
  const base = new Map<Vcs, { dir: string; head: string }>();
  /** Pushed commits per repo: checked against the server's repos once every cell has run. */
  const pushed: { cell: Cell; id: string }[] = [];
  const results = new Map<string, RunResult>();

  before(async () => {
    server = await startFerry();
    for (const [role, admin] of [
      ['reader', false],
      ['writer', false],
      ['admin', true],
      ['stranger', false],
    ] as const) {
      clients.set(role, await addUser(server, role, { admin }));
      tokens.set(role, (await server.cliOk(['token', 'add', role])).stdout.trim());
    }
    clients.set('anonymous', await makeClient(server, 'anonymous'));
    await server.cliOk(['grant', 'reader', 'matrix/', 'read']);
    await server.cliOk(['grant', 'writer', 'matrix/', 'write']);
    const admin = clients.get('admin') as Client;
    const adminUrl = (path: string) => `http://admin:${tokens.get('admin')}@127.0.0.1:${server.httpPort}/${path}`;

    const hgBase = await makeHgRepo(admin, 1);
    const gitBase = join(tempDir(), 'git-base');
    await runOk('git', ['init', '-q', gitBase], { env: admin.env });
    writeFileSync(join(gitBase, 'base.txt'), 'base\n');
    await runOk('git', ['-C', gitBase, 'add', 'base.txt'], { env: admin.env });
    await runOk('git', ['-C', gitBase, 'commit', '-q', '-m', 'base'], { env: admin.env });
    base.set('hg', { dir: hgBase, head: (await runOk('hg', ['-R', hgBase, 'log', '-r', '.', '-T', '{node}'], { env: admin.env })).stdout });
    base.set('git', { dir: gitBase, head: (await runOk('git', ['-C', gitBase, 'rev-parse', 'HEAD'], { env: admin.env })).stdout.trim() });

    for (const vcs of ['hg', 'git'] as const) {
      for (const visibility of ['public', 'private'] as const) {
        const path = repoPath(vcs, visibility);
        await server.cliOk(['repo', 'create', path, ...(vcs === 'git' ? ['--git'] : []), ...(visibility === 'public' ? ['--public'] : [])]);
        if (vcs === 'hg') await runOk('hg', ['-R', hgBase, 'push', adminUrl(path)], { env: admin.env });
        else await runOk('git', ['-C', gitBase, 'push', '-q', adminUrl(path), 'HEAD:refs/heads/main'], { env: admin.env });
        for (const write of [true, false]) {
          const client = await makeClient(server, `deploy-${write ? 'write' : 'read'}-${vcs}-${visibility}`);
          await server.cliOk(['deploy-key', 'add', path, client.key.publicPath, ...(write ? ['--write'] : [])]);
          clients.set(`deploy-${write ? 'write' : 'read'} ${path}`, client);
        }
      }
    }

    await runLimited(CELLS, CONCURRENCY, async (cell) => {
      results.set(label(cell), await runCell(cell));
    });
  });
  after(async () => {
    await server.stop();
  });

  function clientFor(cell: Cell): Client {
    const key = cell.role.startsWith('deploy') ? `${cell.role} ${repoPath(cell.vcs, cell.visibility)}` : cell.role;
    return clients.get(key) as Client;
  }

  function urlFor(cell: Cell): string {
    const path = repoPath(cell.vcs, cell.visibility);
    if (cell.transport === 'ssh') return `ssh://${cell.vcs}@127.0.0.1:${server.sshPort}/${path}`;
    const token = tokens.get(cell.role);
    return `http://${token ? `${cell.role}:${token}@` : ''}127.0.0.1:${server.httpPort}/${path}`;
  }

  async function runCell(cell: Cell): Promise<RunResult> {
    const client = clientFor(cell);
    const url = urlFor(cell);
    const dir = join(tempDir('ferry-cell-'), 'repo');
    if (cell.op === 'clone') {
      return cell.vcs === 'hg' ? client.hg(['clone', '-U', url, dir]) : client.git(['clone', '-q', '--bare', url, dir]);
    }
    const template = base.get(cell.vcs) as { dir: string };
    cpSync(template.dir, dir, { recursive: true });
    writeFileSync(join(dir, 'cell.txt'), `${label(cell)}\n`);
    if (cell.vcs === 'hg') {
      // Each cell on a named branch of its own, as each git cell pushes its own branch: the server
      // refuses a second head on one branch (outside a topic), so cells must not share one.
      await runOk('hg', ['-R', dir, 'branch', `cell-${label(cell).replace(/[^A-Za-z0-9]+/g, '-')}`], { env: client.env });
      const commit = await runOk('hg', ['--debug', '-R', dir, 'commit', '-A', '-m', label(cell)], { env: client.env });
      pushed.push({ cell, id: /committed changeset \d+:([0-9a-f]{40})/.exec(commit.stdout)?.[1] as string });
      return client.hg(['-R', dir, 'push', '--new-branch', '-r', '.', url]);
    }
    await runOk('git', ['-C', dir, 'add', 'cell.txt'], { env: client.env });
    await runOk('git', ['-C', dir, 'commit', '-q', '-m', label(cell)], { env: client.env });
    pushed.push({ cell, id: (await runOk('git', ['-C', dir, 'rev-parse', 'HEAD'], { env: client.env })).stdout.trim() });
    return client.git(['-C', dir, 'push', url, `HEAD:refs/heads/cell-${pushed.length}`]);
  }

  for (const cell of CELLS) {
    it(`${label(cell)}: ${cell.expected}`, () => {
      const r = results.get(label(cell)) as RunResult;
      assert.equal(outcomeOf(r), cell.expected, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    });
  }

  it('a push that was not allowed wrote nothing; an allowed one arrived', async () => {
    const onServer = new Map<string, Set<string>>();
    for (const vcs of ['hg', 'git'] as const) {
      for (const visibility of ['public', 'private'] as const) {
        const dir = join(server.dataDir, 'repos', repoPath(vcs, visibility));
        const ids =
          vcs === 'hg'
            ? await runOk('hg', ['-R', dir, 'log', '-r', 'all()', '-T', '{node}\n'], { env: { ...process.env, HGRCPATH: '', HGPLAIN: '1' } })
            : await run('git', ['-C', dir, 'rev-list', '--all']);
        onServer.set(`${vcs} ${visibility}`, new Set(ids.stdout.trim().split('\n')));
      }
    }
    assert.equal(pushed.length, CELLS.filter((c) => c.op === 'push').length);
    for (const { cell, id } of pushed) {
      const present = onServer.get(`${cell.vcs} ${cell.visibility}`)?.has(id) ?? false;
      assert.equal(present, cell.expected === 'ok', `${label(cell)}: commit ${id} ${present ? 'is' : 'is not'} on the server`);
    }
  });
});

async function runLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
