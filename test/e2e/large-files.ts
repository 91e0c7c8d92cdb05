/**
 * The set-up the Git LFS and hg largefiles tests share: a server where alice writes and carol
 * reads `team/` (any other user named has no grant), each with an HTTP token, and large text
 * content with the hashes both systems name files by.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { addUser, startFerry, type Client, type FerryServer, type RunResult } from './harness.js';

export type Transport = 'ssh' | 'http';

/** Asserts that a client command succeeded, with its output in the failure message. */
export function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.code, 0, `${what}: ${r.stderr}${r.stdout}`);
  return r;
}

/** Every file under `dir` (recursively), or none when it does not exist. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * About 200 KB of text unique to this call, with its SHA-1 (hg largefiles' name for it) and its
 * SHA-256 (Git LFS's object id).
 */
export function largeText(label: string): { content: string; sha1: string; sha256: string } {
  const content = `${label} ${randomBytes(16).toString('hex')}\n`.repeat(4000);
  return { content, sha1: createHash('sha1').update(content).digest('hex'), sha256: createHash('sha256').update(content).digest('hex') };
}

export interface LargeFilesHost {
  readonly server: FerryServer;
  /** The clients by user name, in the order given. */
  readonly clients: ReadonlyMap<string, Client>;
  /** Each user's HTTP token. */
  readonly tokens: ReadonlyMap<string, string>;
  /** The URL `name` reaches `path` by over `transport` (HTTP with the user's token; `suffix` e.g. `.git`). */
  url(name: string, transport: Transport, path: string, suffix?: string): string;
}

/**
 * Starts a server with the users named (alice may write `team/`, carol may read it, any other has
 * no grant), each with a key and an HTTP token.
 */
export async function startLargeFilesHost(names: readonly string[]): Promise<LargeFilesHost> {
  const server = await startFerry();
  const clients = new Map<string, Client>();
  const tokens = new Map<string, string>();
  for (const name of names) clients.set(name, await addUser(server, name));
  await server.cliOk(['grant', 'alice', 'team/', 'write']);
  await server.cliOk(['grant', 'carol', 'team/', 'read']);
  for (const name of names) tokens.set(name, (await server.cliOk(['token', 'add', name])).stdout.trim().split(/\s+/).pop() as string);
  return {
    server,
    clients,
    tokens,
    url(name, transport, path, suffix = '') {
      const client = clients.get(name);
      assert.ok(client, `no user ${name} on this host`);
      if (transport === 'ssh') return client.sshUrl(path);
      return `http://${name}:${tokens.get(name) ?? ''}@127.0.0.1:${server.httpPort}/${path}${suffix}`;
    },
  };
}
