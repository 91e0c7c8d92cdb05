/**
 * src/cluster on a throwaway PostgreSQL: advisory locks between "nodes" (separate pools), and the
 * event bus (NOTIFY, acknowledgements, heartbeats, reload after a lost connection).
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ClusterBus, type ClusterEvent } from '../../src/cluster/bus.js';
import { LocalLocks } from '../../src/cluster/locks.js';
import { thisNode } from '../../src/cluster/node.js';
import { PgLocks } from '../../src/cluster/pg-locks.js';
import { createLogger } from '../../src/log/logger.js';
import { startPostgres, type ThrowawayPostgres } from '../support/postgres.js';

const log = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TIMING = { heartbeatMs: 100, staleMs: 400, ackTimeoutMs: 3_000 };

describe('cluster locks and events on PostgreSQL', () => {
  let server: ThrowawayPostgres;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  it('LocalLocks: one holder per key; tryWithLock skips a held key', async () => {
    const locks = new LocalLocks();
    const order: string[] = [];
    const first = locks.withLock('k', async () => {
      order.push('a-start');
      assert.deepEqual(await locks.tryWithLock('k', async () => 'no'), { ran: false });
      await sleep(30);
      order.push('a-end');
    });
    const second = locks.withLock('k', async () => void order.push('b'));
    await Promise.all([first, second]);
    assert.deepEqual(order, ['a-start', 'a-end', 'b']);
    assert.deepEqual(await locks.tryWithLock('k', async () => 1), { ran: true, value: 1 });
  });

  it('PgLocks: two nodes never hold one key at once, and a dead node frees its locks', async () => {
    const nodeA = thisNode();
    const a = new PgLocks(server.url, log, nodeA);
    const b = new PgLocks(server.url, log, thisNode());
    try {
      let inside = 0;
      let most = 0;
      const work = async () => {
        inside++;
        most = Math.max(most, inside);
        await sleep(40);
        inside--;
      };
      await Promise.all([a.withLock('repo:x', work), b.withLock('repo:x', work), a.withLock('repo:x', work), b.withLock('repo:x', work)]);
      assert.equal(most, 1);
      let release = (): void => {};
      const held = a.withLock('job:1', () => new Promise<void>((r) => (release = r)));
      await sleep(50);
      assert.deepEqual(await b.tryWithLock('job:1', async () => 'taken'), { ran: false }, 'claimed by the other node');
      // The holder dies: its session ends (as when its process is killed), and the claim is free.
      await server.psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ferry-locks ${nodeA.id}'`);
      let taken: { ran: boolean } = { ran: false };
      for (let i = 0; i < 50 && !taken.ran; i++) {
        taken = await b.tryWithLock('job:1', async () => 'taken');
        if (!taken.ran) await sleep(20);
      }
      assert.deepEqual(taken, { ran: true, value: 'taken' });
      release();
      await held.catch(() => undefined);
    } finally {
      await Promise.all([a.close().catch(() => undefined), b.close()]);
    }
  });

  it('ClusterBus: publish returns once every live node applied the event; a dead node is not waited for', async () => {
    const applied: { node: string; event: ClusterEvent; at: number }[] = [];
    const nodes = [thisNode(), thisNode(), thisNode()];
    const buses = nodes.map((n) => new ClusterBus(server.url, n, log, TIMING));
    try {
      await Promise.all(
        buses.map((bus, i) =>
          bus.start({
            apply: async (event) => {
              await sleep(150);
              applied.push({ node: nodes[i]!.id, event, at: Date.now() });
            },
            reloadAll: async () => {},
          }),
        ),
      );
      await sleep(TIMING.heartbeatMs * 2);
      const started = Date.now();
      await buses[0]!.publish({ type: 'changed', repoId: 7 });
      assert.deepEqual(applied.map((a) => a.node).sort(), [nodes[1]!.id, nodes[2]!.id].sort(), 'both other nodes applied it before publish returned');
      assert.ok(Date.now() - started >= 150);

      // A node that stops listening (and heartbeating) is waited for only until its heartbeat is stale.
      const ghost = new pg.Client({ connectionString: server.url });
      await ghost.connect();
      await ghost.query(`INSERT INTO ferry_cluster_nodes (node, host, pid, started_at, seen_at) VALUES ('ghost', 'nowhere', 1, now(), now())`);
      await ghost.end();
      const t = Date.now();
      await buses[0]!.publish({ type: 'changed', repoId: 8 });
      const waited = Date.now() - t;
      assert.ok(waited < TIMING.ackTimeoutMs, `not waited for the dead node until the timeout (${waited} ms)`);
    } finally {
      await Promise.all(buses.map((b) => b.stop()));
    }
  });

  it('ClusterBus: a node whose connection dropped reconnects and reloads everything', async () => {
    const node = thisNode();
    let reloads = 0;
    const bus = new ClusterBus(server.url, node, log, TIMING);
    try {
      await bus.start({ apply: async () => {}, reloadAll: async () => void reloads++ });
      assert.equal(reloads, 0, 'no reload on the first connection');
      await server.psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ferry-listen ${node.id}'`);
      for (let i = 0; i < 100 && reloads === 0; i++) await sleep(50);
      assert.equal(reloads, 1);
    } finally {
      await bus.stop();
    }
  });
});
