/**
 * Counters Ferry exposes at `/metrics` in the Prometheus text format. Labels are fixed, small
 * sets (areas, statuses, vcs, transports); never a repo path or a user name.
 */
export type TransferOp = 'clone' | 'push';

export class Metrics {
  private readonly httpRequests = new Map<string, number>();
  private readonly transfers = new Map<string, number>();
  private readonly sshSessions = new Map<string, number>();
  private readonly started = Date.now();

  /** One finished HTTP request, by the route that answered it (`none` when no route did). */
  httpRequest(area: string, status: number): void {
    bump(this.httpRequests, `area="${area}",status="${status}"`);
  }

  /**
   * A clone/fetch/pull served (op="clone"), or a push received (op="push"), over HTTP or SSH.
   * hg over SSH: a session that sent getbundle or stream_out, or unbundle when it could write;
   * git over SSH: upload-pack or receive-pack that exited 0.
   */
  transfer(vcs: 'hg' | 'git', transport: 'http' | 'ssh', op: TransferOp): void {
    bump(this.transfers, `vcs="${vcs}",transport="${transport}",op="${op}"`);
  }

  /**
   * One SSH session channel that asked for something: `exec` (a command; its transfer, if any,
   * is counted by `transfer`) or `shell` (the who-am-I greeting).
   */
  sshSession(request: 'exec' | 'shell'): void {
    bump(this.sshSessions, `request="${request}"`);
  }

  render(): string {
    const lines = [
      '# HELP ferry_http_requests_total HTTP requests answered, by area (route) and status.',
      '# TYPE ferry_http_requests_total counter',
      ...[...this.httpRequests].map(([labels, n]) => `ferry_http_requests_total{${labels}} ${n}`),
      '# HELP ferry_transfers_total Clones, fetches and pulls served (op="clone") and pushes received (op="push").',
      '# TYPE ferry_transfers_total counter',
      ...[...this.transfers].map(([labels, n]) => `ferry_transfers_total{${labels}} ${n}`),
      '# HELP ferry_ssh_sessions_total SSH session channels, by what they asked for (exec: a command, shell: the greeting).',
      '# TYPE ferry_ssh_sessions_total counter',
      ...[...this.sshSessions].map(([labels, n]) => `ferry_ssh_sessions_total{${labels}} ${n}`),
      '# HELP ferry_uptime_seconds Seconds since this Ferry process started.',
      '# TYPE ferry_uptime_seconds gauge',
      `ferry_uptime_seconds ${Math.floor((Date.now() - this.started) / 1000)}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
