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
  return out.join('\n');
}
