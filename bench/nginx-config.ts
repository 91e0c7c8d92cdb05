/**
 * The one nginx configuration skeleton the benches run their references with (bench/cdn.ts: a
 * static site; bench/http.ts: git http-backend behind fcgiwrap): nginx in the foreground under a
 * prefix of its own (its pid file and error log there, no access log), one `server`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NginxSite {
  /** `events { worker_connections N; }` */
  readonly workerConnections: number;
  /** Directives of the `http` block before the server (one per line, with their `;`), besides `access_log off;`. */
  readonly http: readonly string[];
  /** The `listen` value (`127.0.0.1:8080`, `127.0.0.1:8443 ssl http2`). */
  readonly listen: string;
  /** Directives and blocks of the `server` block after `listen` (one per line). */
  readonly server: readonly string[];
}

/**
 * Writes PREFIX/nginx.conf for `site` (and makes PREFIX/logs) and returns the config file's path:
 * `worker_processes auto`, `daemon off` (the bench owns the process and stops it), the error log
 * and pid file under `prefix`. Start it with `nginx -p PREFIX -c PATH`.
 */
export function writeNginxConfig(prefix: string, site: NginxSite): string {
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const path = join(prefix, 'nginx.conf');
  const http = ['access_log off;', ...site.http].map((line) => `  ${line}\n`).join('');
  const server = site.server.map((line) => `    ${line}\n`).join('');
  writeFileSync(
    path,
    `worker_processes auto;
daemon off;
error_log ${prefix}/logs/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections ${site.workerConnections}; }
http {
${http}  server {
    listen ${site.listen};
${server}  }
}
`,
  );
  return path;
}
