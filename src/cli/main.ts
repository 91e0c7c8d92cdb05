import { UsageError, FerryError, describeError } from '../domain/errors.js';
import { loadConfig, resolveDataDir } from '../config/load.js';
import { createApp, type App } from '../main.js';
import { createLogger } from '../log/logger.js';
import { printErr, print } from './io.js';
import { deployKeyCommand } from './commands/deploy-key.js';
import { grantCommand, revokeCommand } from './commands/grant.js';
import { importCommand } from './commands/import.js';
import { keyCommand } from './commands/key.js';
import { mirrorCommand } from './commands/mirror.js';
import { publishCommand } from './commands/publish.js';
import { repoCommand } from './commands/repo.js';
import { serveCommand } from './commands/serve.js';
import { tokenCommand } from './commands/token.js';
import { userCommand } from './commands/user.js';

type Command = (app: App, args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  user: userCommand,
  key: keyCommand,
  repo: repoCommand,
  grant: grantCommand,
  revoke: revokeCommand,
  token: tokenCommand,
  'deploy-key': deployKeyCommand,
  import: importCommand,
  mirror: mirrorCommand,
  publish: publishCommand,
};

const HELP = `usage: ferry [--data DIR] COMMAND ...

  serve                                  run the SSH and HTTP servers
  user add NAME [--admin] | list | rm NAME | passwd NAME | admin NAME --on|--off
  key add USER [FILE|-] | list [USER] | rm USER FINGERPRINT
  repo create PATH [--git [--object-format sha1|sha256]] [--public] | set PATH [--public|--private] [--publishing|--non-publishing] | list | rm PATH | mv OLD NEW
  grant USER PATH|GROUP/ read|write|admin | grant list
  revoke USER PATH|GROUP/
  token add USER [--read-only] [--label TEXT] | list USER | rm USER ID
  deploy-key add PATH [FILE|-] [--write] | list PATH | rm PATH FINGERPRINT
  import URL PATH [--identity KEYFILE] [--mirror [--every DURATION] [--allow-force]] [--hg|--git]
         [--public] [--keep-remote]    (HTTPS: FERRY_IMPORT_USER / FERRY_IMPORT_PASSWORD or a prompt)
  import --from FILE [--jobs N] [options]   lines "URL PATH"; re-runs skip what exists
  mirror list | add PATH URL [--every DURATION] [--allow-force] [--identity KEYFILE]
         | sync PATH [--allow-force] | rm PATH [--keep-repo] | secret PATH
  publish PATH [--ref REF] [--dir DIR] | publish --list | publish --remove DIR

The data dir is --data, else $FERRY_DATA, else ./ferry-data.`;

/** The CLI edge: errors become one line on stderr and exit 1 (bad input) or 2 (usage). */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args = [...argv];
  let dataFlag: string | undefined;
  while (args[0]?.startsWith('--data')) {
    if (args[0] === '--data') {
      dataFlag = args[1];
      args = args.slice(2);
    } else {
      dataFlag = args[0].slice('--data='.length);
      args = args.slice(1);
    }
    if (!dataFlag) return fail(new UsageError('--data needs a directory'));
  }
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    print(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) return fail(new UsageError(`unknown command ${JSON.stringify(name)}; run ferry help`));
  let app: App | undefined;
  try {
    const config = loadConfig(resolveDataDir(dataFlag, env), env);
    app = createApp(config, { log: createLogger(name === 'serve' ? config.log.level : 'warn') });
    return await command(app, rest);
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
