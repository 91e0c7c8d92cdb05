import { UsageError, FerryError, NotFoundError, describeError } from '../domain/errors.js';
import { loadConfig, resolveDataDir } from '../config/load.js';
import { createApp, type App } from '../main.js';
import { createLogger } from '../log/logger.js';
import { printErr, print } from './io.js';
import { helpText, isCommandName, type CommandName } from './help.js';
import { FERRY, rememberDataFlag } from './invocation.js';
import { existsSync } from 'node:fs';
import { backupCommand, restoreCommand } from './commands/backup.js';
import { dbCommand } from './commands/db.js';
import { deployKeyCommand } from './commands/deploy-key.js';
import { grantCommand, revokeCommand } from './commands/grant.js';
import { hookCommand } from './commands/hook.js';
import { importCommand } from './commands/import.js';
import { keyCommand } from './commands/key.js';
import { mirrorCommand } from './commands/mirror.js';
import { publishCommand } from './commands/publish.js';
import { repoCommand } from './commands/repo.js';
import { serveCommand } from './commands/serve.js';
import { tokenCommand } from './commands/token.js';
import { userCommand } from './commands/user.js';

type Command = (app: App, args: string[]) => Promise<number>;

const COMMANDS: Record<Exclude<CommandName, 'help' | 'restore'>, Command> & Record<string, Command | undefined> = {
  serve: serveCommand,
  user: userCommand,
  key: keyCommand,
  repo: repoCommand,
  grant: grantCommand,
  revoke: revokeCommand,
  token: tokenCommand,
  'deploy-key': deployKeyCommand,
  hook: hookCommand,
  import: importCommand,
  mirror: mirrorCommand,
  publish: publishCommand,
  backup: backupCommand,
  db: dbCommand,
};

/**
 * Splits the options every command takes (`--data DIR`, `--data=DIR`, `--help`, `-h`) from the
 * rest, wherever they stand; a `--` ends option scanning and is kept for the command.
 * @throws UsageError when --data has no directory.
 */
export function splitGlobalOptions(argv: readonly string[]): { dataFlag?: string; help: boolean; rest: string[] } {
  const rest: string[] = [];
  let dataFlag: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
    } else if (arg === '--data' || arg.startsWith('--data=')) {
      const value = arg === '--data' ? argv[++i] : arg.slice('--data='.length);
      if (value === undefined || value === '' || value.startsWith('-')) throw new UsageError(`--data needs a directory: ${FERRY} --data DIR COMMAND ...`);
      if (dataFlag !== undefined && dataFlag !== value) throw new UsageError(`--data was given twice (${dataFlag} and ${value}); give it once`);
      dataFlag = value;
    } else {
      rest.push(arg);
    }
  }
  return { dataFlag, help, rest };
}

/** The CLI edge: errors become one line on stderr and exit 1 (bad input) or 2 (usage). */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = splitGlobalOptions(argv);
  } catch (err) {
    return fail(err);
  }
  const { dataFlag, help, rest: args } = parsed;
  const [name, ...rest] = args;
  if (name === undefined) {
    if (help) {
      print(helpText(FERRY));
      return 0;
    }
    printErr(helpText(FERRY));
    return 2;
  }
  if (name === 'help') {
    const topic = rest[0] ?? (help ? 'help' : undefined);
    if (topic === undefined) {
      print(helpText(FERRY));
      return 0;
    }
    if (!isCommandName(topic)) return fail(new UsageError(`unknown command ${JSON.stringify(topic)}; ${FERRY} help lists them`));
    print(helpText(FERRY, topic));
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command && name !== 'restore') return fail(new UsageError(`unknown command ${JSON.stringify(name)}; ${FERRY} help lists them`));
  if (help) {
    print(helpText(FERRY, name as CommandName));
    return 0;
  }
  let app: App | undefined;
  try {
    if (dataFlag !== undefined) rememberDataFlag(dataFlag);
    const dataDir = resolveDataDir(dataFlag, env);
    // A mistyped --data must not pass unnoticed: say when this command makes a new data dir
    // (serve and restore are meant to start one).
    // A backup of a data dir that is not there would be an empty archive, and exit 0.
    if (name === 'backup' && !existsSync(dataDir)) throw new NotFoundError(`no Ferry data dir at ${dataDir}; give the one \`serve\` uses with --data or FERRY_DATA`);
    if (name !== 'serve' && name !== 'restore' && !existsSync(dataDir)) printErr(`ferry: ${dataDir} did not exist: starting a new, empty data dir there (if you meant another, check --data or FERRY_DATA)`);
    const config = loadConfig(dataDir, env);
    // restore writes into an empty data dir: it runs before (and without) the App, which would create files there.
    if (name === 'restore') return await restoreCommand(config, createLogger(config.log.level), rest);
    app = createApp(config, { log: createLogger(name === 'serve' || name === 'backup' ? config.log.level : 'warn') });
    return await (command as Command)(app, rest);
  } catch (err) {
    return fail(err, app);
  } finally {
    app?.close();
  }
}

function fail(err: unknown, app?: App): number {
  if (err instanceof FerryError) {
    printErr(`ferry: ${err.message}`);
    return err instanceof UsageError ? 2 : 1;
  }
  if (err instanceof Error && 'code' in err && (err.code === 'ENOENT' || err.code === 'EACCES') && 'path' in err) {
    printErr(`ferry: cannot read ${String(err.path)}: ${err.code === 'ENOENT' ? 'no such file' : 'permission denied'}`);
    return 1;
  }
  app?.log.error({ err }, 'unexpected error');
  printErr(`ferry: internal error: ${describeError(err)}`);
  return 1;
}
