import { printRepoUrls } from './repo.js';
import { FERRY } from '../invocation.js';
import type { App } from '../../main.js';
import { httpUrlBase } from '../../config/public-host.js';
import { parseDuration } from '../../domain/duration.js';
import { FerryError, UsageError, describeError } from '../../domain/errors.js';
import type { RepoKind } from '../../domain/repo-kind.js';
import { parseRepoPath } from '../../domain/repo-path.js';
import type { SourceCredentials } from '../../mirrors/access.js';
import type { ImportRequest } from '../../mirrors/importer.js';
import { parseImportUrl } from '../../mirrors/url-safety.js';
import { parseCommand, print, printTable } from '../io.js';
import { existingFile, readFileArg } from '../paths.js';
import { readSecret } from '../secret.js';

const USAGE =
  `${FERRY} import URL PATH [--identity KEYFILE] [--mirror [--every DURATION] [--allow-force]] [--hg|--git] [--public] [--keep-remote]\n` +
  `       ${FERRY} import --from FILE [--jobs N] [same options, applied to every line]`;

const OPTIONS = {
  identity: { type: 'string' },
  mirror: { type: 'boolean' },
  every: { type: 'string' },
  'allow-force': { type: 'boolean' },
  hg: { type: 'boolean' },
  git: { type: 'boolean' },
  public: { type: 'boolean' },
  'keep-remote': { type: 'boolean' },
  from: { type: 'string' },
  jobs: { type: 'string' },
} as const;

/**
 * `ferry import`: the CLI runs as the server's admin, so local paths are allowed here. HTTP
 * credentials come from FERRY_IMPORT_USER / FERRY_IMPORT_PASSWORD or a prompt, never argv.
 */
export async function importCommand(app: App, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseCommand(args, OPTIONS, USAGE, { min: 0, max: 2 });
  if (values.hg && values.git) throw new UsageError('choose one of --hg and --git');
  if (values.every !== undefined && !values.mirror) throw new UsageError('--every needs --mirror');
  if (values['allow-force'] && !values.mirror) throw new UsageError('--allow-force needs --mirror');
  const kind: RepoKind | undefined = values.hg ? 'hg' : values.git ? 'git' : undefined;
  const intervalMs = values.every === undefined ? 3_600_000 : parseDuration(values.every);
  if (intervalMs < 1000) throw new UsageError('--every must be at least 1s');
  const base = {
    ...(kind ? { kind } : {}),
    isPublic: values.public === true,
    keepRemote: values['keep-remote'] === true,
    ...(values.mirror ? { mirror: { intervalMs, allowForce: values['allow-force'] === true } } : {}),
    allowLocal: true,
  };
  const credentials: SourceCredentials = {
    ...(values.identity !== undefined ? { identityFile: values.identity } : {}),
    ...(env.FERRY_IMPORT_USER ? { user: env.FERRY_IMPORT_USER } : {}),
    ...(env.FERRY_IMPORT_PASSWORD !== undefined ? { password: env.FERRY_IMPORT_PASSWORD } : {}),
  };
  if (values.identity !== undefined) existingFile(values.identity, 'the --identity key file');
  if (values.from !== undefined) {
    if (positionals.length > 0) throw new UsageError(`--from FILE takes no URL or PATH; usage: ${USAGE}`);
    const jobs = values.jobs === undefined ? 4 : Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 32) throw new UsageError('--jobs must be a whole number from 1 to 32');
    return bulkImport(app, readFileArg(values.from, 'the --from list'), jobs, { ...base, credentials });
  }
  if (positionals.length !== 2) throw new UsageError(`usage: ${USAGE}`);
  const [url, pathArg] = positionals as [string, string];
  const path = parseRepoPath(pathArg);
  const source = parseImportUrl(url, { allowLocal: true });
  let password = credentials.password;
  const user = credentials.user ?? (source.user || undefined);
  if ((source.scheme === 'https' || source.scheme === 'http') && user !== undefined && password === undefined && process.stdin.isTTY) {
    password = await readSecret(`password or token for ${user} at ${source.origin}: `);
  }
  const outcome = await app.importer.run({
    ...base,
    url,
    path,
    credentials: { ...credentials, ...(password !== undefined ? { password } : {}) },
    interactive: process.stdin.isTTY === true,
    progress: process.stderr,
  });
  if (outcome.adopted) {
    print(`${outcome.repo.path} is now a mirror of ${source.display}: ${outcome.summary}`);
  } else {
    print(`imported ${outcome.repo.path} from ${source.display}: ${outcome.summary} (${outcome.repo.isPublic ? 'public' : 'private'})`);
    printRepoUrls(app, outcome.repo);
  }
  if (outcome.webhookSecret !== undefined) printMirrorSetup(app, outcome.repo.path, intervalMs, outcome.webhookSecret);
  return 0;
}

export function printMirrorSetup(app: App, path: string, intervalMs: number | undefined, secret: string): void {
  if (intervalMs !== undefined) print(`mirror: ${path} is read-only and syncs every ${formatInterval(intervalMs)} while ${FERRY} serve runs (${FERRY} mirror sync ${path} syncs now)`);
  print(`webhook: POST ${httpUrlBase(app.config, app.config.http.port)}/api/v1/mirrors/${path}/sync`);
  print(`webhook secret (shown once; ${FERRY} mirror secret ${path} makes a new one): ${secret}`);
}

export function formatInterval(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

interface BulkRow {
  readonly line: number;
  readonly url: string;
  readonly path: string;
  result: 'imported' | 'failed' | 'skipped';
  detail: string;
}

/** `--from FILE`: lines `URL PATH`; a bounded number at once; a re-run skips what exists. */
async function bulkImport(
  app: App,
  text: string,
  jobs: number,
  base: Omit<ImportRequest, 'url' | 'path' | 'interactive' | 'progress'>,
): Promise<number> {
  const rows: BulkRow[] = [];
  const todo: BulkRow[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [url = '', path = '', ...extra] = line.split(/\s+/);
    const row: BulkRow = { line: i + 1, url, path, result: 'failed', detail: '' };
    rows.push(row);
    if (path === '' || extra.length > 0) row.detail = `line ${i + 1}: expected "URL PATH"`;
    else if (seen.has(path)) row.detail = `line ${i + 1}: ${path} appears twice`;
    else todo.push(row);
    seen.add(path);
  });
  if (rows.length === 0) throw new UsageError('the file lists no imports (lines "URL PATH"; # starts a comment)');
  const queue = [...todo];
  const worker = async () => {
    for (let row = queue.shift(); row !== undefined; row = queue.shift()) {
      try {
        const path = parseRepoPath(row.path);
        const existing = await app.stores.repos.byPath(path);
        if (existing) {
          row.result = 'skipped';
          row.detail = 'already there';
          continue;
        }
        const outcome = await app.importer.run({ ...base, url: row.url, path, interactive: false, progress: { isTTY: false, write: (s) => process.stderr.write(s) } });
        row.result = 'imported';
        row.detail = outcome.summary;
        if (outcome.webhookSecret !== undefined) row.detail += `; webhook secret ${outcome.webhookSecret}`;
      } catch (err) {
        row.result = err instanceof FerryError && err.code === 'FERRY_REPO_EXISTS' ? 'skipped' : 'failed';
        row.detail = describeError(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, Math.max(1, todo.length)) }, worker));
  printTable(
    ['PATH', 'RESULT', 'SOURCE', 'DETAIL'],
    rows.map((r) => [r.path, r.result, safeDisplay(r.url), r.detail]),
  );
  const count = (what: BulkRow['result']) => rows.filter((r) => r.result === what).length;
  print(`${count('imported')} imported, ${count('skipped')} skipped, ${count('failed')} failed`);
  return count('failed') > 0 ? 1 : 0;
}

function safeDisplay(url: string): string {
  try {
    return parseImportUrl(url, { allowLocal: true }).display;
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}
