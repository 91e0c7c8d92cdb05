import { UsageError, FerryError, NotFoundError, describeError } from '../domain/errors.js';
import { loadConfig, resolveDataDir } from '../config/load.js';
import type { App } from '../main.js';
import { createLogger } from '../log/logger.js';
import { exitQuietlyOnClosedPipe, printErr, print } from './io.js';
import { helpText, isCommandName, type CommandName } from './help.js';
import { FERRY, rememberDataFlag } from './invocation.js';
import { existsSync } from 'node:fs';
import { checkDataDir, errnoLine } from './paths.js';
import { localRelaySocket, relayToServer } from '../cluster/local-relay.js';
import type { ClusterEvent } from '../cluster/bus.js';

type Command = (app: App, args: string[]) => Promise<number>;

/**
 * Each command's module, loaded when that command runs: `--help` and the admin commands start
 * without loading the servers, the web UI and the SSH stack (node's start-up is most of their time).
 */
const COMMANDS: Record<Exclude<CommandName, 'help' | 'restore'>, () => Promise<Command>> & Record<string, (() => Promise<Command>) | undefined> = {
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  user: async () => (await import('./commands/user.js')).userCommand,
  key: async () => (await import('./commands/key.js')).keyCommand,
  repo: async () => (await import('./commands/repo.js')).repoCommand,
  grant: async () => (await import('./commands/grant.js')).grantCommand,
  revoke: async () => (await import('./commands/grant.js')).revokeCommand,
  token: async () => (await import('./commands/token.js')).tokenCommand,
  'deploy-key': async () => (await import('./commands/deploy-key.js')).deployKeyCommand,
  hook: async () => (await import('./commands/hook.js')).hookCommand,
  import: async () => (await import('./commands/import.js')).importCommand,
  mirror: async () => (await import('./commands/mirror.js')).mirrorCommand,
  publish: async () => (await import('./commands/publish.js')).publishCommand,
  backup: async () => (await import('./commands/backup.js')).backupCommand,
  db: async () => (await import('./commands/db.js')).dbCommand,
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
  // `ferry … | head`: a closed pipe ends a command quietly (not `serve`: a server is left as it was).
  if (name !== 'serve') exitQuietlyOnClosedPipe();
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
  let relayed: ClusterEvent[] = [];
  try {
    // The command's module is loaded before --data is remembered: usage lines a module fixes when
    // it loads then read as they did when every module was loaded up front.
    const restore = name === 'restore' ? (await import('./commands/backup.js')).restoreCommand : undefined;
    const run = command ? await command() : undefined;
    if (dataFlag !== undefined) rememberDataFlag(dataFlag);
    const dataDir = resolveDataDir(dataFlag, env);
    // A mistyped --data must not pass unnoticed: say when this command makes a new data dir
    // (serve and restore are meant to start one).
    // A backup of a data dir that is not there would be an empty archive, and exit 0.
    checkDataDir(dataDir);
    if (name === 'backup' && !existsSync(dataDir)) throw new NotFoundError(`no Ferry data dir at ${dataDir}; give the one \`serve\` uses with --data or FERRY_DATA`);
    if (name !== 'serve' && name !== 'restore' && !existsSync(dataDir)) printErr(`ferry: ${dataDir} did not exist: starting a new, empty data dir there (if you meant another, check --data or FERRY_DATA)`);
    const config = loadConfig(dataDir, env);
    // restore writes into an empty data dir: it runs before (and without) the App, which would create files there.
    if (restore) return await restore(config, createLogger(config.log.level), rest);
    const { createApp } = await import('../main.js');
    app = createApp(config, { log: createLogger(name === 'serve' || name === 'backup' ? config.log.level : 'warn') });
    if (name !== 'serve') relayed = collectRepoEvents(app);
    return await (run as Command)(app, rest);
  } catch (err) {
    return fail(err, app);
  } finally {
    // What this command changed reaches a running server before the command returns (src/cluster/local-relay.ts).
    if (app && relayed.length > 0) await relayToServer(localRelaySocket(app.config.runDir), relayed);
    app?.close();
  }
}

/** The repo events `app` emits while a command runs, as the server's relay takes them. */
function collectRepoEvents(app: App): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  app.events.onChanged(({ repo }) => void events.push({ type: 'changed', repoId: repo.id }));
  app.events.onRemoved(({ repo }) => void events.push({ type: 'removed', repo }));
  return events;
}

function fail(err: unknown, app?: App): number {
  if (err instanceof FerryError) {
    printErr(`ferry: ${err.message}`);
    return err instanceof UsageError ? 2 : 1;
  }
  const errno = errnoLine(err);
  if (errno !== undefined) {
    printErr(`ferry: ${errno}`);
    return 1;
  }
  app?.log.error({ err }, 'unexpected error');
  printErr(`ferry: internal error: ${describeError(err)}`);
  return 1;
}
