import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** prom-client, loaded when the first Metrics is made: admin commands never make one (see main.ts). */
const promClient = (): typeof import('prom-client') => createRequire(import.meta.url)('prom-client') as typeof import('prom-client');

/**
 * What Ferry exposes at `/metrics` in the Prometheus text format, built on prom-client with a
 * registry of its own (no global state: one per App). Labels are fixed, small sets (route kinds,
 * statuses, vcs, transports, results); never a raw URL path, a repo path or a user name.
 */
export type TransferOp = 'clone' | 'push';

/** How a webhook delivery ended: answered 2xx, answered otherwise, or never answered. */
export type WebhookResult = 'success' | 'failure' | 'error';

/** CDN cache lookups counted by one process (the primary or a worker). */
export interface CdnCounts {
  readonly hits: number;
  readonly misses: number;
}

/** A worker's memory, in bytes: process.memoryUsage()'s rss, heapUsed, external (arrayBuffers within it), and what its CDN caches hold. */
export interface WorkerMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly held: number;
}

/** Seconds: from a quick /healthz to a long clone. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class Metrics {
  readonly registry: Registry;
  private readonly httpRequests: Counter<'area' | 'status'>;
  private readonly httpDuration: Histogram<'area'>;
  private readonly transfers: Counter<'vcs' | 'transport' | 'op'>;
  private readonly bytes: Counter<'transport' | 'direction'>;
  private readonly sshSessions: Counter<'request'>;
  private readonly sshConnections: Gauge;
  private readonly mirrorFailures: Counter;
  private readonly webhookDeliveries: Counter<'event' | 'result'>;
  private readonly started = Date.now();
  private cdnSources: (() => CdnCounts)[] = [];
  private workerMemory: () => readonly WorkerMemory[] = () => [];

  constructor() {
    const { Counter, Gauge, Histogram, Registry } = promClient();
    this.registry = new Registry();
    const registers = [this.registry];
    this.httpRequests = new Counter({ name: 'ferry_http_requests_total', help: 'HTTP requests answered, by area (route) and status.', labelNames: ['area', 'status'], registers });
    this.httpDuration = new Histogram({
      name: 'ferry_http_request_duration_seconds',
      help: 'Time from a request\'s arrival to the end of its answer, by area (the kind of route: wire, web, cdn, api, health...).',
      labelNames: ['area'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.transfers = new Counter({ name: 'ferry_transfers_total', help: 'Clones, fetches and pulls served (op="clone") and pushes received (op="push").', labelNames: ['vcs', 'transport', 'op'], registers });
    this.bytes = new Counter({ name: 'ferry_transfer_bytes_total', help: 'Bytes on the wire of HTTP requests and SSH connections (direction="in": from clients, "out": to them).', labelNames: ['transport', 'direction'], registers });
    this.sshSessions = new Counter({ name: 'ferry_ssh_sessions_total', help: 'SSH session channels, by what they asked for (exec: a command, shell: the greeting).', labelNames: ['request'], registers });
    this.sshConnections = new Gauge({ name: 'ferry_ssh_connections', help: 'SSH connections open now.', registers });
    this.mirrorFailures = new Counter({ name: 'ferry_mirror_sync_failures_total', help: 'Pull mirror syncs that failed (each is retried with back-off).', registers });
    this.webhookDeliveries = new Counter({ name: 'ferry_webhook_deliveries_total', help: 'Webhook deliveries, by event and result (success: 2xx; failure: another status; error: no answer).', labelNames: ['event', 'result'], registers });
    const sources = () => this.cdnSources;
    new Counter({
      name: 'ferry_cdn_requests_total',
      help: 'CDN lookups by result: hit (answered from memory: a held snapshot or a reused answer) or miss (a snapshot had to be built). Workers report to the primary.',
      labelNames: ['result'],
      registers,
      collect() {
        const total = sources().reduce((t, s) => {
          const c = s();
          return { hits: t.hits + c.hits, misses: t.misses + c.misses };
        }, { hits: 0, misses: 0 });
        this.reset();
        this.inc({ result: 'hit' }, total.hits);
        this.inc({ result: 'miss' }, total.misses);
      },
    });
    const memory = () => this.workerMemory();
    new Gauge({
      name: 'ferry_cdn_worker_memory_bytes',
      help: 'Memory of each CDN worker as it last reported (at most 10 s ago): rss, heap_used (V8 heap), external (buffers outside the heap) and held (file contents, file lists and reused answers its caches hold, within its share of [cdn] memory).',
      labelNames: ['worker', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const [i, m] of memory().entries()) {
          const worker = String(i + 1);
          this.set({ worker, kind: 'rss' }, m.rss);
          this.set({ worker, kind: 'heap_used' }, m.heapUsed);
          this.set({ worker, kind: 'external' }, m.external);
          this.set({ worker, kind: 'held' }, m.held);
        }
      },
    });
    const started = this.started;
    new Gauge({
      name: 'ferry_uptime_seconds',
      help: 'Seconds since this Ferry process started.',
      registers,
      collect() {
        this.set(Math.floor((Date.now() - started) / 1000));
      },
    });
  }

  /** One finished HTTP request, by the route that answered it (`none` when no route did), and how long it took. */
  httpRequest(area: string, status: number, seconds?: number): void {
    this.httpRequests.inc({ area, status: String(status) });
    if (seconds !== undefined) this.httpDuration.observe({ area }, seconds);
  }

  /**
   * A clone/fetch/pull served (op="clone"), or a push received (op="push"), over HTTP or SSH.
   * hg over SSH: a session that sent getbundle or stream_out, or unbundle when it could write;
   * git over SSH: upload-pack or receive-pack that exited 0.
   */
  transfer(vcs: 'hg' | 'git', transport: 'http' | 'ssh', op: TransferOp): void {
    this.transfers.inc({ vcs, transport, op });
  }

  /** Bytes read from (`bytesIn`) and written to (`bytesOut`) one client connection or request. */
  transferBytes(transport: 'http' | 'ssh', bytesIn: number, bytesOut: number): void {
    if (bytesIn > 0) this.bytes.inc({ transport, direction: 'in' }, bytesIn);
    if (bytesOut > 0) this.bytes.inc({ transport, direction: 'out' }, bytesOut);
  }

  /**
   * One SSH session channel that asked for something: `exec` (a command; its transfer, if any,
   * is counted by `transfer`) or `shell` (the who-am-I greeting).
   */
  sshSession(request: 'exec' | 'shell'): void {
    this.sshSessions.inc({ request });
  }

  /** An SSH connection opened (+1) or closed (-1). */
  sshConnection(delta: 1 | -1): void {
    this.sshConnections.inc(delta);
  }

  /** A pull mirror sync failed. */
  mirrorSyncFailed(): void {
    this.mirrorFailures.inc();
  }

  /**
   * A webhook delivery ended (for the webhooks sender to call). `event` is the hook event name
   * (`push`, `create`, ...), a small fixed set.
   */
  webhookDelivered(event: string, result: WebhookResult): void {
    this.webhookDeliveries.inc({ event, result });
  }

  /** Adds a source of CDN hit/miss totals (the primary's own cache, the workers' last reports). */
  countCdnFrom(source: () => CdnCounts): void {
    this.cdnSources = [...this.cdnSources, source];
  }

  /** Sets where the CDN workers' memory comes from (the worker pool's last reports). */
  workerMemoryFrom(source: () => readonly WorkerMemory[]): void {
    this.workerMemory = source;
  }

  /** The Prometheus text exposition (format 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
