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

/**
 * A static site deployed for nginx (bench/cdn.ts's reference): Debian's defaults plus sendfile,
 * open_file_cache and gzip_static, files under `www`, on `listen`, with TLS when `tls` (PEM files).
 * One config for every case, so the plain and the HTTPS reference differ only in TLS.
 */
export function staticSite(www: string, listen: string, tls?: { cert: string; key: string }): NginxSite {
  return {
    workerConnections: 4096,
    http: [
      'include /etc/nginx/mime.types;',
      'sendfile on;',
      'tcp_nopush on;',
      'keepalive_requests 100000;',
      'open_file_cache max=1000 inactive=60s;',
      'gzip on;',
      'gzip_static on;',
      'etag on;',
      ...(tls ? ['ssl_protocols TLSv1.2 TLSv1.3;', 'ssl_session_cache shared:SSL:10m;'] : []),
    ],
    listen,
    server: [
      ...(tls ? [`ssl_certificate ${tls.cert};`, `ssl_certificate_key ${tls.key};`] : []),
      `root ${www};`,
      'location / { add_header Cache-Control "public, max-age=10, must-revalidate"; add_header X-Content-Type-Options nosniff; }',
    ],
  };
}

/**
 * git's own smart HTTP server as a site would run it (bench/http.ts's reference): every request
 * passed to git-http-backend through fcgiwrap at `socket`, repos under `root`, unbuffered both
 * ways, bodies of any size.
 */
export function gitHttpBackendSite(root: string, socket: string, listen: string): NginxSite {
  return {
    workerConnections: 1024,
    http: ['client_max_body_size 0;'],
    listen,
    server: [
      'location / {',
      '  include /etc/nginx/fastcgi_params;',
      '  fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;',
      `  fastcgi_param GIT_PROJECT_ROOT ${root};`,
      '  fastcgi_param GIT_HTTP_EXPORT_ALL "";',
      '  fastcgi_param REMOTE_USER bench;',
      '  fastcgi_param PATH_INFO $uri;',
      '  fastcgi_buffering off;',
      '  fastcgi_request_buffering off;',
      `  fastcgi_pass unix:${socket};`,
      '}',
    ],
  };
}
