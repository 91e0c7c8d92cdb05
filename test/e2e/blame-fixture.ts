/**
 * What the blame e2e files share: a server with alice, who may write under `team/`, and the repos a
 * file names; Ferry's blame page read as the commit each line names; and the same read from
 * `hg annotate` and `git blame`, which the pages are compared with.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before } from 'node:test';
import { addUser, startFerry, type Client, type FerryServer } from './harness.js';

/** The commit each line of a blame page names (a group's first row carries the link; the rest follow it). */
export function pageAttribution(page: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const m of page.matchAll(/<tr id="L\d+"[^>]*>(.*?)<\/tr>/gs)) {
    const link = /\/-\/commit\/([0-9a-f]{40,64})/.exec(m[1] ?? '');
    if (link) current = link[1] as string;
    out.push(current);
  }
  return out;
}

/** `hg annotate -T` template printing the changeset id of each line, one a line. */
export const HG_ANNOTATE_NODES = "{lines % '{node}\\n'}";

/** The commit each line of `git blame --porcelain` output names (SHA-1 repos), in line order. */
export function porcelainAttribution(porcelain: string): string[] {
  return porcelain
    .split('\n')
    .filter((l) => /^[0-9a-f]{40} \d+ \d+/.test(l))
    .map((l) => l.slice(0, 40));
}

/** Repos made before the tests, all under `team/` (alice may write there); all public. */
export interface BlameRepos {
  /** hg repos, made non-publishing (so that evolve's rewrites can be pushed). */
  readonly hg?: readonly string[];
  readonly git?: readonly string[];
}

export interface BlameFixture {
  /** The server (a new process after `restart`); only inside tests and hooks. */
  readonly server: FerryServer;
  /** A user with an SSH key and write access to `team/`; only inside tests and hooks. */
  readonly alice: Client;
  /** The commit each line of Ferry's blame page of `file` at `id` names; fails unless it answers 200. */
  page(repo: string, id: string, file: string): Promise<string[]>;
  /** Each `ID FILE` page of `expected` against the attribution expected of it; `when` names the moment in failures. */
  compareAll(repo: string, expected: ReadonlyMap<string, readonly string[]>, when: string): Promise<void>;
  /** A new server process on the same data dir: nothing in memory, what is on disk kept. */
  restart(): Promise<void>;
  /** Waits up to 60 s for `path` to exist (housekeeping's work), then fails with `what` if it does not. */
  waitFor(path: string, what: string): Promise<void>;
}

/**
 * Registers, in the calling `describe`, the hooks that start a server with alice and `repos`
 * (and stop it after), and returns what the tests use.
 */
export function blameFixture(repos: BlameRepos): BlameFixture {
  let current: { server: FerryServer; alice: Client } | undefined;
  const running = () => {
    if (!current) throw new Error("the blame fixture's server is used before its before() hook ran");
    return current;
  };

  before(async () => {
    const server = await startFerry();
    current = { server, alice: await addUser(server, 'alice') };
    for (const path of repos.hg ?? []) {
      await server.cliOk(['repo', 'create', path, '--public']);
      await server.cliOk(['repo', 'set', path, '--non-publishing']);
    }
    for (const path of repos.git ?? []) await server.cliOk(['repo', 'create', path, '--git', '--public']);
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
  });

  after(async () => {
    await current?.server.stop();
  });

  const page = async (repo: string, id: string, file: string): Promise<string[]> => {
    const r = await fetch(`${running().server.baseUrl}/${repo}/-/blame/${id}/${file}`);
    assert.equal(r.status, 200, `blame of ${file} at ${id} in ${repo}`);
    return pageAttribution(await r.text());
  };

  return {
    get server() {
      return running().server;
    },
    get alice() {
      return running().alice;
    },
    page,
    async compareAll(repo, expected, when) {
      for (const [key, lines] of expected) {
        const [id, file] = key.split(' ') as [string, string];
        assert.deepEqual(await page(repo, id, file), lines, `${when}: blame of ${file} at ${id}`);
      }
    },
    async restart() {
      const r = running();
      await r.server.stop();
      r.server = await startFerry({ dataDir: r.server.dataDir });
    },
    async waitFor(path, what) {
      // Housekeeping runs one job at a time for the whole server.
      for (let i = 0; i < 600 && !existsSync(path); i++) await sleep(100);
      assert.ok(existsSync(path), what);
    },
  };
}
