import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { loadPg } from '../db/pg-module.js';
import type { Logger } from '../log/logger.js';
import type { Repo } from '../store/types.js';
import type { NodeIdentity } from './node.js';

/** The NOTIFY channel every node LISTENs on. */
export const CLUSTER_CHANNEL = 'ferry_cluster';

export interface ClusterTiming {
  /** How often a node says it lives (ms). */
  readonly heartbeatMs: number;
  /** A node not heard of for this long is dead: no one waits for its acknowledgement (ms). */
  readonly staleMs: number;
  /** The longest a publisher waits for acknowledgements (ms); a push returns then anyway. */
  readonly ackTimeoutMs: number;
}

export const DEFAULT_TIMING: ClusterTiming = { heartbeatMs: 1_000, staleMs: 3_500, ackTimeoutMs: 5_000 };

/** What the other nodes are told: a repo changed (its id) or was removed (its last row). */
export type ClusterEvent = { readonly type: 'changed'; readonly repoId: number } | { readonly type: 'removed'; readonly repo: Repo };

/** What a node does when another node's event arrives, and after it (re)connects. */
export interface ClusterHandlers {
  apply(event: ClusterEvent): Promise<void>;
  /** NOTIFY is not replayed: after a lost connection, everything cached is read again. */
  reloadAll(): Promise<void>;
}

type Wire = ({ readonly kind: 'event'; readonly event: ClusterEvent } | { readonly kind: 'ack'; readonly to: string }) & { readonly id: string; readonly from: string };

interface Waiting {
  readonly nodes: Set<string>;
  readonly done: () => void;
}

/**
 * Events between the nodes sharing one PostgreSQL database: NOTIFY on one channel, LISTEN on a
 * dedicated connection (PostgreSQL manual, NOTIFY: notifications go to sessions listening at commit
 * time and are not kept for sessions that listen later). Each node heartbeats a row of
 * `ferry_cluster_nodes`; `publish` waits until every live node acknowledged that it applied the
 * event, dropping nodes whose heartbeat stops, and never longer than `ackTimeoutMs`.
 */
export class ClusterBus {
  private readonly pool: pg.Pool;
  private listener: pg.Client | undefined;
  private handlers: ClusterHandlers | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private readonly waiting = new Map<string, Waiting>();
  private stopped = false;
  private everConnected = false;

  constructor(
    private readonly url: string,
    private readonly node: NodeIdentity,
    private readonly log: Logger,
    private readonly timing: ClusterTiming = DEFAULT_TIMING,
  ) {
    this.pool = new (loadPg().Pool)({ connectionString: url, max: 3, application_name: `ferry-cluster ${node.id}` });
    this.pool.on('error', (err) => this.log.warn({ err }, 'a cluster connection to PostgreSQL failed'));
  }

  /** Creates the heartbeat table if needed, LISTENs, and starts heartbeating. Throws when PostgreSQL cannot be reached. */
  async start(handlers: ClusterHandlers): Promise<void> {
    this.handlers = handlers;
    await ensureClusterSchema(this.pool);
    await this.connect();
    this.heartbeat = setInterval(() => void this.beat(), this.timing.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Tells every other node; resolves when each live node applied it (or the wait timed out). */
  async publish(event: ClusterEvent): Promise<void> {
    if (this.stopped) return;
    const id = randomUUID();
    const nodes = new Set(await this.liveOthers().catch(() => []));
    let finish = (): void => {};
    const acknowledged = new Promise<void>((resolve) => (finish = resolve));
    if (nodes.size > 0) this.waiting.set(id, { nodes, done: finish });
    try {
      await this.notify({ kind: 'event', event, id, from: this.node.id });
      if (nodes.size === 0) return;
      const deadline = Date.now() + this.timing.ackTimeoutMs;
      while (this.waiting.has(id) && Date.now() < deadline) {
        const tick = new Promise<void>((resolve) => setTimeout(resolve, Math.min(250, deadline - Date.now())).unref());
        await Promise.race([acknowledged, tick]);
        if (!this.waiting.has(id)) break;
        // A node that died after the event was sent is not waited for.
        const live = new Set(await this.liveOthers().catch(() => [...nodes]));
        for (const n of [...nodes]) if (!live.has(n)) nodes.delete(n);
        if (nodes.size === 0) break;
      }
      if (this.waiting.has(id)) this.log.warn({ event: event.type, missing: [...nodes] }, 'cluster nodes did not acknowledge an event in time');
    } finally {
      this.waiting.delete(id);
    }
  }

  /** The nodes other than this one whose heartbeat is fresh. */
  async liveOthers(): Promise<string[]> {
    const r = await this.pool.query<{ node: string }>(
      `SELECT node FROM ferry_cluster_nodes WHERE node <> $1 AND seen_at > now() - make_interval(secs => $2::double precision / 1000)`,
      [this.node.id, this.timing.staleMs],
    );
    return r.rows.map((row) => row.node);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.reconnect) clearTimeout(this.reconnect);
    for (const w of this.waiting.values()) w.done();
    await this.pool.query('DELETE FROM ferry_cluster_nodes WHERE node = $1', [this.node.id]).catch(() => undefined);
    await this.listener?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new (loadPg().Client)({ connectionString: this.url, application_name: `ferry-listen ${this.node.id}` });
    const lost = (err?: Error): void => {
      if (this.listener !== client) return;
      this.listener = undefined;
      if (this.stopped) return;
      this.log.warn({ err }, 'lost the cluster event connection; reconnecting');
      this.scheduleReconnect(500);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (n) => {
      if (n.channel === CLUSTER_CHANNEL && n.payload !== undefined) void this.received(n.payload);
    });
    await client.connect();
    await client.query(`LISTEN ${CLUSTER_CHANNEL}`);
    this.listener = client;
    await this.beat();
    const reconnected = this.everConnected;
    this.everConnected = true;
    if (reconnected) {
      this.log.info('cluster event connection back; reloading everything cached');
      await this.handlers?.reloadAll().catch((err: unknown) => this.log.error({ err }, 'could not reload after reconnecting'));
    }
  }

  private scheduleReconnect(ms: number): void {
    if (this.reconnect || this.stopped) return;
    this.reconnect = setTimeout(() => {
      this.reconnect = undefined;
      this.connect().catch((err: unknown) => {
        this.log.warn({ err }, 'cluster event connection failed; retrying');
        this.scheduleReconnect(Math.min(ms * 2, 5_000));
      });
    }, ms);
    this.reconnect.unref();
  }

  /** Says this node lives, while it listens (a node that cannot hear events is not waited for). */
  private async beat(): Promise<void> {
    if (this.stopped || this.listener === undefined) return;
    try {
      await this.pool.query(
        `INSERT INTO ferry_cluster_nodes (node, host, pid, started_at, seen_at) VALUES ($1, $2, $3, now(), now())
         ON CONFLICT (node) DO UPDATE SET seen_at = now()`,
        [this.node.id, this.node.host, this.node.pid],
      );
      await this.pool.query(`DELETE FROM ferry_cluster_nodes WHERE seen_at < now() - interval '1 hour'`);
    } catch (err) {
      this.log.warn({ err }, 'cluster heartbeat failed');
    }
  }

  private async received(payload: string): Promise<void> {
    let wire: Wire;
    try {
      wire = JSON.parse(payload) as Wire;
    } catch {
      return;
    }
    if (wire.from === this.node.id) return;
    if (wire.kind === 'ack') {
      if (wire.to !== this.node.id) return;
      const w = this.waiting.get(wire.id);
      if (w && w.nodes.delete(wire.from) && w.nodes.size === 0) {
        this.waiting.delete(wire.id);
        w.done();
      }
      return;
    }
    try {
      await this.handlers?.apply(wire.event);
    } catch (err) {
      this.log.error({ err, event: wire.event.type }, 'could not apply a cluster event');
    }
    await this.notify({ kind: 'ack', to: wire.from, id: wire.id, from: this.node.id }).catch((err: unknown) => this.log.warn({ err }, 'could not acknowledge a cluster event'));
  }

  private async notify(wire: Wire): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [CLUSTER_CHANNEL, JSON.stringify(wire)]);
  }
}

/** `ferry_cluster_nodes`: one row per live `ferry serve`, its heartbeat in `seen_at`. Made once, under a lock. */
async function ensureClusterSchema(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('ferry:cluster-schema', 0))`);
    await client.query(`CREATE TABLE IF NOT EXISTS ferry_cluster_nodes (
      node text PRIMARY KEY,
      host text NOT NULL,
      pid integer NOT NULL,
      started_at timestamptz NOT NULL,
      seen_at timestamptz NOT NULL
    )`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
