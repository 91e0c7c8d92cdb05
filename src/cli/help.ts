/**
 * What each `ferry` command does and how it is called: the single source of `ferry help`,
 * `ferry help COMMAND`, `ferry COMMAND --help` and docs/cli.md (a test checks the page agrees).
 * Usage lines leave out the program's name; `helpText` puts in the one that runs here.
 */
export interface CommandHelp {
  readonly summary: string;
  /** One line per form, after the program name (`user add NAME [--admin]`). */
  readonly usage: readonly string[];
  /** Sentences shown under the usage lines. */
  readonly notes?: string;
}

export const COMMAND_HELP = {
  serve: {
    summary: 'run the SSH and HTTP servers (and the CDN workers, mirror syncs and publications)',
    usage: ['serve'],
    notes:
      'Listens where [ssh] and [http] in DATA/ferry.toml say (127.0.0.1:2222 and 127.0.0.1:8080 by default). ' +
      'SIGTERM or Ctrl-C stops accepting and waits up to [limits] shutdown_grace for transfers.',
  },
  user: {
    summary: 'people who sign in',
    usage: ['user add NAME [--admin]', 'user list', 'user rm NAME', 'user passwd NAME', 'user admin NAME --on|--off'],
    notes: '`user passwd` asks for the password of the web pages and of HTTP Basic (hg/git over HTTP) on the terminal, or reads one line from standard input; the user\'s open web sessions are signed out.',
  },
  key: {
    summary: "a user's SSH public keys",
    usage: ['key add USER [FILE|-]', 'key list [USER]', 'key rm USER FINGERPRINT'],
    notes: 'FILE holds OpenSSH public key lines (authorized_keys format accepted); - or nothing reads standard input.',
  },
  repo: {
    summary: 'repositories',
    usage: ['repo create PATH [--git [--object-format sha1|sha256]] [--public]', 'repo set PATH [--public|--private] [--publishing|--non-publishing]', 'repo list', 'repo rm PATH', 'repo mv OLD NEW'],
    notes: 'hg is the default kind; every repo is private unless made public. hg repos are publishing unless set --non-publishing (pushed drafts stay draft). `repo mv` leaves a redirect at the old path.',
  },
  grant: {
    summary: 'give a user read, write or admin on a repo or on every repo under GROUP/',
    usage: ['grant USER PATH|GROUP/ read|write|admin', 'grant list'],
  },
  revoke: {
    summary: 'take a grant back',
    usage: ['revoke USER PATH|GROUP/'],
  },
  token: {
    summary: 'tokens for HTTP Basic auth (any user name)',
    usage: ['token add USER [--read-only] [--label TEXT] [--expires DURATION]', 'token list USER', 'token rm USER ID'],
    notes: '`--expires 90d` makes the token stop working 90 days from now (at most ten years); without it a token lasts until removed. `token list` shows each expiry.',
  },
  'deploy-key': {
    summary: 'SSH keys that reach one repo',
    usage: ['deploy-key add PATH [FILE|-] [--write]', 'deploy-key list PATH', 'deploy-key rm PATH FINGERPRINT'],
  },
  hook: {
    summary: "a repo's outbound webhooks (POSTs shaped like Gitea's and GitHub's events)",
    usage: ['hook add PATH URL [--secret S] [--events push,create,delete,repository]', 'hook list PATH', 'hook rm PATH ID', 'hook deliveries PATH ID [--full]', 'hook redeliver PATH DELIVERY'],
    notes: 'A URL is http(s) and at most 2048 characters; a secret at most 255 (leave --secret out for unsigned deliveries: an empty one is refused). Hook and delivery ids are the positive whole numbers that hook list and hook deliveries print. Deliveries are signed with the secret (X-Hub-Signature-256, X-Gitea-Signature), retried on network errors and 5xx, and sent by a running ferry serve. A URL may reach loopback or private addresses only where [webhooks] allowed_hosts allows. See docs/webhooks.md.',
  },
  import: {
    summary: 'copy a repository from another host (hg or git), once or as a pull mirror',
    usage: [
      'import URL PATH [--identity KEYFILE] [--mirror [--every DURATION] [--allow-force]] [--hg|--git] [--public] [--keep-remote]',
      'import --from FILE [--jobs N] [same options, applied to every line]',
    ],
    notes: 'HTTPS credentials come from FERRY_IMPORT_USER / FERRY_IMPORT_PASSWORD or a prompt, never the command line. FILE has lines "URL PATH"; re-runs skip what exists.',
  },
  mirror: {
    summary: 'pull mirrors made by import --mirror, or from an existing repo by mirror add',
    usage: ['mirror list', 'mirror add PATH URL [--every DURATION] [--allow-force] [--identity KEYFILE]', 'mirror sync PATH [--allow-force]', 'mirror rm PATH [--keep-repo]', 'mirror secret PATH'],
  },
  publish: {
    summary: 'keep a directory in sync with a ref of a repo',
    usage: ['publish PATH [--ref REF] [--dir DIR]', 'publish --list', 'publish --remove DIR'],
  },
  backup: {
    summary: 'write a consistent backup of the data dir (database, every repo, settings, secrets, host keys) to one archive, safe while serving',
    usage: ['backup FILE'],
    notes: 'hg repos are copied under their lock, git repos as bundles, the database with SQLite\'s online backup; FILE is a tar with a manifest and SHA-256 checksums. See docs/operations.md.',
  },
  db: {
    summary: 'copy this data dir\'s SQLite database into an empty PostgreSQL database, verified',
    usage: ['db copy --to postgres://USER@HOST/DATABASE'],
    notes: 'Stop ferry serve first. Creates the tables, copies every row in one transaction, then checks row counts and a SHA-256 per table; refuses a database that is not empty. Then set [database] url (README, "Switching to PostgreSQL").',
  },
  restore: {
    summary: 'restore a backup into an empty data dir, then verify every repo',
    usage: ['restore FILE'],
    notes: 'The data dir (--data DIR or FERRY_DATA) must be empty or absent. Every file is checked against the manifest first; then hg verify / git fsck runs on each repo, and database rows without a repo (or repos without a row) are reported.',
  },
  help: {
    summary: 'this text, or one command in detail',
    usage: ['help [COMMAND]'],
  },
} as const satisfies Record<string, CommandHelp>;

export type CommandName = keyof typeof COMMAND_HELP;

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMAND_HELP, name);
}

/** Options every command takes, anywhere on the command line (before a `--`). */
export const GLOBAL_OPTIONS: readonly (readonly [string, string])[] = [
  ['--data DIR', 'the data dir (else $FERRY_DATA, else ./ferry-data)'],
  ['--help, -h', 'show the help of the command and exit'],
];

/** `ferry help` (no command) or `ferry help COMMAND`, with `program` as the name that runs. */
export function helpText(program: string, command?: CommandName): string {
  if (command !== undefined) {
    const help: CommandHelp = COMMAND_HELP[command];
    const lines = [`usage: ${program} ${help.usage[0]}`, ...help.usage.slice(1).map((u) => `       ${program} ${u}`), '', `${help.summary}.`];
    if (help.notes) lines.push(help.notes);
    lines.push('', ...GLOBAL_OPTIONS.map(([o, d]) => `  ${o.padEnd(12)} ${d}`));
    return lines.join('\n');
  }
  const lines = [`usage: ${program} COMMAND [ARGS] [--data DIR] [--help]`];
  for (const [name, help] of Object.entries(COMMAND_HELP) as [string, CommandHelp][]) {
    lines.push('', `  ${name.padEnd(11)} ${help.summary}`, ...help.usage.map((u) => `      ${program} ${u}`));
  }
  lines.push('', ...GLOBAL_OPTIONS.map(([o, d]) => `  ${o.padEnd(12)} ${d}`), '', `${program} help COMMAND (or ${program} COMMAND --help) shows one command.`);
  return lines.join('\n');
}
