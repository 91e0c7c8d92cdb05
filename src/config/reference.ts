import { SETTINGS, type SettingSpec } from './schema.js';

/** The environment variable that overrides `[section] key` (DESIGN: FERRY_<SECTION>_<KEY>). */
export function envName(section: string, key: string): string {
  return `FERRY_${section.toUpperCase()}_${key.toUpperCase()}`;
}

const TYPE_HELP: Readonly<Record<SettingSpec['type'], string>> = {
  string: 'text',
  port: 'port number 0-65535',
  boolean: 'true or false',
  size: 'size (e.g. 300MB, 4KB, bytes as a number)',
  integer: 'whole number',
  duration: 'duration (e.g. 30s, 15m, 1h; milliseconds as a number)',
};

function formatDefault(spec: SettingSpec): string {
  if (spec.default === '') return '(empty)';
  return typeof spec.default === 'string' ? `"${spec.default}"` : String(spec.default);
}

/**
 * docs/configuration.md, made from the settings registry (src/config/schema.ts): every setting,
 * its type, default and environment variable. `npm run docs` writes it; a unit test checks the
 * file is what this returns.
 */
export function configurationReference(): string {
  const out = [
    '# Configuration',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs`; edit the registry, not this file. -->',
    '',
    'Ferry reads its settings from `ferry.toml` in the data dir (`./ferry-data/ferry.toml` unless',
    '`--data DIR` or `FERRY_DATA` names another data dir), then lets an environment variable',
    '`FERRY_<SECTION>_<KEY>` override each one. Every setting has a default, so the file is optional;',
    'an unknown section or key, or a value of the wrong type, stops Ferry with a one-line error naming it.',
    '',
    '```toml',
    '# ./ferry-data/ferry.toml',
    '[ssh]',
    'listen = "0.0.0.0"          # reachable from other machines (default: this machine only)',
    '[http]',
    'listen = "0.0.0.0"',
    'base_url = "https://code.example.org"',
    '```',
    '',
    'The same from the environment: `FERRY_SSH_LISTEN=0.0.0.0 FERRY_HTTP_LISTEN=0.0.0.0 FERRY_HTTP_BASE_URL=https://code.example.org`.',
    '',
  ];
  for (const [section, keys] of Object.entries(SETTINGS)) {
    out.push(`## [${section}]`, '', '| Key | Environment variable | Type | Default | Meaning |', '|---|---|---|---|---|');
    for (const [key, spec] of Object.entries(keys as Record<string, SettingSpec>)) {
      out.push(`| \`${key}\` | \`${envName(section, key)}\` | ${TYPE_HELP[spec.type]} | \`${formatDefault(spec)}\` | ${spec.doc.replaceAll('|', '\\|')} |`);
    }
    out.push('');
  }
  out.push(
    '## HTTPS',
    '',
    'With `[http] tls_cert` and `[http] tls_key` both set (PEM files; a relative path is read from the data dir),',
    'the HTTP port speaks TLS 1.2 or 1.3 and nothing else: web pages, the API, hg and git, and the CDN (each CDN',
    'worker ends TLS for the connections it is given). Clients that offer HTTP/2 by ALPN (browsers, curl, git)',
    'get it; the others (hg) get HTTP/1.1, with the same routes, limits and answers. The URLs Ferry shows say',
    '`https://` (without the port when it is 443) unless `[http] base_url` names another.',
    '',
    'Plain HTTP sent to the HTTPS port is answered `400 Bad Request` with the `https://` URL to use, as nginx',
    'does; not a redirect, since the request may have carried a token in the clear: set the client to https://.',
    'Bytes that are neither TLS nor HTTP close the connection, and so does a client silent for `[limits] head_timeout`.',
    '',
    '```toml',
    '[http]',
    'listen = "0.0.0.0"',
    'port = 443',
    'tls_cert = "/etc/ferry/tls/fullchain.pem"   # the certificate, then its intermediates',
    'tls_key = "/etc/ferry/tls/privkey.pem"      # unencrypted',
    '```',
    '',
    '`kill -HUP PID` (the PID `ferry serve` prints) reads both files again, e.g. after a renewal: new connections get',
    'the new certificate, connections already open go on with theirs. A pair that does not load (a file missing, no',
    'certificate in it, a key that is not the certificate\'s) is logged as an error and the certificate in use kept;',
    'at start it stops Ferry with a one-line `FERRY_CONFIG` error naming the file. The TLS handshake must be done',
    'within `[limits] head_timeout`, and the head and body timeouts hold for HTTPS requests as for plain ones.',
    '',
  );
  return out.join('\n');
}
