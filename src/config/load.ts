import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parseDuration, parseSize } from '../domain/duration.js';
import { FerryError } from '../domain/errors.js';
import { SETTINGS, type SettingSpec, type Settings } from './schema.js';

export interface Config extends Settings {
  /** Absolute path of the data dir. */
  readonly dataDir: string;
  readonly reposDir: string;
  readonly dbPath: string;
  readonly sshDir: string;
  /** `[server] run_dir` made absolute (relative to the data dir): this node's sockets, pid files and hg spool. */
  readonly runDir: string;
}

export const CONFIG_FILE = 'ferry.toml';

export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(flag ?? env.FERRY_DATA ?? 'ferry-data');
}

/** file → environment → validate → freeze. */
export function loadConfig(dataDir: string, env: NodeJS.ProcessEnv = process.env): Config {
  const file = join(dataDir, CONFIG_FILE);
  let fromFile: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      fromFile = parseToml(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new FerryError('FERRY_CONFIG', `${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, keys] of Object.entries(SETTINGS)) {
    const fileSection = fromFile[section];
    if (fileSection !== undefined && (typeof fileSection !== 'object' || fileSection === null)) {
      throw new FerryError('FERRY_CONFIG', `${file}: [${section}] must be a table`);
    }
    const values: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(keys as Record<string, SettingSpec>)) {
      const envName = `FERRY_${section.toUpperCase()}_${key.toUpperCase()}`;
      const raw = env[envName] ?? (fileSection as Record<string, unknown> | undefined)?.[key] ?? spec.default;
      const where = env[envName] !== undefined ? envName : `[${section}] ${key}`;
      values[key] = coerce(raw, spec, where);
    }
    for (const key of Object.keys((fileSection as Record<string, unknown> | undefined) ?? {})) {
      if (!(key in keys)) throw new FerryError('FERRY_CONFIG', `${file}: unknown setting [${section}] ${key}`);
    }
    out[section] = values;
  }
  for (const section of Object.keys(fromFile)) {
    if (!(section in SETTINGS)) throw new FerryError('FERRY_CONFIG', `${file}: unknown section [${section}]`);
  }
  const http = out.http as { base_url: string; tls_cert: string; tls_key: string };
  http.base_url = http.base_url.replace(/\/+$/, '');
  if ((http.tls_cert === '') !== (http.tls_key === '')) {
    throw new FerryError('FERRY_CONFIG', `[http] tls_cert and tls_key go together: set both (PEM files) for HTTPS, or neither for plain HTTP (only ${http.tls_cert === '' ? 'tls_key' : 'tls_cert'} is set)`);
  }
  const database = out.database as { url: string };
  if (database.url !== '' && !/^postgres(ql)?:\/\//.test(database.url)) {
    throw new FerryError('FERRY_CONFIG', `[database] url must be empty (SQLite in the data dir) or a postgres:// URL (got ${JSON.stringify(database.url.replace(/:[^:@/]*@/, ':***@'))})`);
  }
  for (const section of Object.values(out)) Object.freeze(section);
  return Object.freeze({
    ...(out as unknown as Settings),
    dataDir,
    reposDir: join(dataDir, 'repos'),
    dbPath: join(dataDir, 'ferry.db'),
    sshDir: join(dataDir, 'ssh'),
    runDir: (out.server as { run_dir: string }).run_dir === '' ? join(dataDir, 'run') : resolve(dataDir, (out.server as { run_dir: string }).run_dir),
  });
}

function coerce(raw: unknown, spec: SettingSpec, where: string): unknown {
  const bad = (what: string): never => {
    throw new FerryError('FERRY_CONFIG', `${where}: ${what} (got ${JSON.stringify(raw)})`);
  };
  try {
    switch (spec.type) {
      case 'string':
        return typeof raw === 'string' ? raw : bad('expected a string');
      case 'boolean':
        if (typeof raw === 'boolean') return raw;
        if (raw === 'true' || raw === '1') return true;
        if (raw === 'false' || raw === '0') return false;
        return bad('expected true or false');
      case 'port': {
        const n = Number(raw);
        return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : bad('expected a port number 0-65535');
      }
      case 'integer': {
        const n = Number(raw);
        return Number.isInteger(n) && n >= 0 ? n : bad('expected a whole number');
      }
      case 'size':
        return parseSize(raw as string | number);
      case 'duration':
        return typeof raw === 'number' ? raw : parseDuration(String(raw));
    }
  } catch (err) {
    if (err instanceof FerryError && err.code === 'FERRY_CONFIG') throw err;
    return bad((err as Error).message);
  }
}
