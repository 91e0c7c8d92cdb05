/**
 * The configuration Ferry gives every git process that serves a client (upload-pack,
 * receive-pack, http-backend), as command-scope settings (GIT_CONFIG_COUNT/KEY_n/VALUE_n, which
 * override a repo's own config). It makes Ferry accept what a default git server accepts, plus
 * what a host enables for big repos, and nothing a client says can change it.
 */

/**
 * fsck message ids (git help fsck-msgids; receive.fsck.<msg-id> in git-config(1)) about form, not
 * safety: histories written by early git tools, cvs2git, svn importers or hand-made tags carry
 * them, and git's own receive-pack (fsckObjects off by default) takes them. They are ignored;
 * every other check stays an error, above all those against `.git`/`..` paths and malicious
 * `.gitmodules`/`.gitattributes` (hasDotgit, hasDotdot, hasDot, fullPathname, emptyName,
 * gitmodules*, gitattributes*; CVE-2018-11235, CVE-2024-32002), and broken objects.
 * All of these exist in git ≥ 2.32 (an unknown id only makes receive-pack warn).
 */
export const COSMETIC_FSCK_IDS: readonly string[] = [
  'badDate',
  'badDateOverflow',
  'badEmail',
  'badFilemode',
  'badName',
  'badTagName',
  'badTimezone',
  'extraHeaderEntry',
  'missingEmail',
  'missingNameBeforeEmail',
  'missingSpaceBeforeDate',
  'missingSpaceBeforeEmail',
  'missingTaggerEntry',
  'multipleAuthors',
  'nulInCommit',
  'zeroPaddedDate',
  'zeroPaddedFilemode',
];

/** `[key, value]` pairs for serving: fsck on receive (safety ids only), partial clone on upload. */
export const GIT_SERVER_SETTINGS: readonly (readonly [string, string])[] = [
  ['receive.fsckObjects', 'true'],
  ...COSMETIC_FSCK_IDS.map((id) => [`receive.fsck.${id}`, 'ignore'] as const),
  // Partial clone (git clone --filter=blob:none, --filter=tree:0…), as hosts configure it
  // (Documentation/technical/partial-clone.txt). Lazy fetches of missing blobs ask for objects by
  // id: allowed when reachable from a ref (never unreachable leftovers of a force-push).
  ['uploadpack.allowFilter', 'true'],
  ['uploadpack.allowReachableSHA1InWant', 'true'],
  // git push -o: receive-pack offers push options only when asked to (read by push-options.ts).
  ['receive.advertisePushOptions', 'true'],
];

/** The same ids for `git fsck` of an import's copy (`fsck.<msg-id>`), as `-c` arguments. */
export function fsckLeniency(): string[] {
  return COSMETIC_FSCK_IDS.flatMap((id) => ['-c', `fsck.${id}=ignore`]);
}

/**
 * Environment entries passing `settings` (and `extra`) as command-scope git config. `extra` comes
 * after, so it wins where a key repeats.
 */
export function gitConfigEnv(extra: readonly (readonly [string, string])[] = [], settings = GIT_SERVER_SETTINGS): NodeJS.ProcessEnv {
  const all = [...settings, ...extra];
  const env: NodeJS.ProcessEnv = { GIT_CONFIG_COUNT: String(all.length) };
  all.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}
