import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gitHttpBackendSite, staticSite, writeNginxConfig } from '../../bench/nginx-config.js';

/** `nginx -t` on a written config: the benches' references start from exactly these files. */
function nginxAccepts(prefix: string, config: string): void {
  const r = spawnSync('nginx', ['-t', '-q', '-p', prefix, '-c', config], { encoding: 'utf8' });
  assert.equal(r.status, 0, `nginx -t ${config}:\n${r.stderr}\n${readFileSync(config, 'utf8')}`);
}

describe('bench/nginx-config: one writer for the benches\' nginx references', { skip: spawnSync('nginx', ['-v']).error !== undefined ? 'no nginx here' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-nginx-conf-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a static site config nginx accepts (bench/cdn.ts), plain and with TLS', () => {
    const www = join(dir, 'www');
    mkdirSync(www);
    const prefix = join(dir, 'static');
    const config = writeNginxConfig(prefix, staticSite(www, '127.0.0.1:18080'));
    assert.equal(config, join(prefix, 'nginx.conf'));
    nginxAccepts(prefix, config);
    const text = readFileSync(config, 'utf8');
    assert.match(text, /^daemon off;$/m);
    assert.match(text, /^    listen 127\.0\.0\.1:18080;$/m);
    assert.match(text, new RegExp(`^    root ${www};$`, 'm'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const tlsPrefix = join(dir, 'static-tls');
    const tlsConfig = writeNginxConfig(tlsPrefix, staticSite(www, '127.0.0.1:18443 ssl http2', { cert, key }));
    nginxAccepts(tlsPrefix, tlsConfig);
    assert.match(readFileSync(tlsConfig, 'utf8'), /ssl_certificate_key /);
  });

  it('writes a git http-backend config nginx accepts (bench/http.ts)', () => {
    const prefix = join(dir, 'git-http');
    const config = writeNginxConfig(prefix, gitHttpBackendSite(join(dir, 'repos'), join(prefix, 'fcgiwrap.sock'), '127.0.0.1:18081'));
    nginxAccepts(prefix, config);
    assert.match(readFileSync(config, 'utf8'), /fastcgi_pass unix:.*fcgiwrap\.sock;/);
  });
});
