import { copyFile, open } from 'node:fs/promises';
import { runProcess } from '../vcs/process.js';

export interface GitTool {
  readonly executable: string;
  readonly env: NodeJS.ProcessEnv;
}

/** What a git bundle of a repo holds (for the manifest and for checks after restore). */
export interface GitDescription {
  readonly refs: Record<string, string>;
  /** The ref HEAD names (`refs/heads/main`), or undefined for a detached HEAD. */
  readonly head: string | undefined;
  readonly objectFormat: 'sha1' | 'sha256';
  /** Objects in the bundle's pack (0 for an empty repo, which has no bundle). */
  readonly objects: number;
}

/**
 * Writes every ref of the bare repo `dir` and the objects they reach into the bundle `file`
 * (`git bundle create FILE --all`, git-bundle(1)). git reads the refs once and packs what they
 * reach; objects are never changed in place, so a push running meanwhile is in the bundle only if
 * its ref update was read. HEAD (a symbolic ref) is not in a bundle and is returned to be kept
 * in the manifest. An empty repo (no refs) gets no bundle: `bundled` is false.
 * @throws Error (from runProcess) when git fails.
 */
export async function bundleGitRepo(git: GitTool, dir: string, file: string): Promise<GitDescription & { bundled: boolean }> {
  const run = async (args: string[], allowFailure = false) => runProcess(git.executable, ['-C', dir, ...args], { env: git.env, allowFailure });
  const head = await run(['symbolic-ref', '-q', 'HEAD'], true);
  const format = (await run(['rev-parse', '--show-object-format'])).stdout.toString('utf8').trim() === 'sha256' ? 'sha256' : 'sha1';
  const anyRef = (await run(['for-each-ref', '--count=1', '--format=x'])).stdout.length > 0;
  const base = { head: head.code === 0 ? head.stdout.toString('utf8').trim() : undefined, objectFormat: format } as const;
  if (!anyRef) return { ...base, refs: {}, objects: 0, bundled: false };
  await run(['bundle', 'create', '--quiet', file, '--all']);
  return { ...base, ...(await describeBundle(git, dir, file)), bundled: true };
}

/** The refs listed in a bundle's header and the object count of its pack. */
export async function describeBundle(git: GitTool, cwd: string, file: string): Promise<{ refs: Record<string, string>; objects: number }> {
  const listed = await runProcess(git.executable, ['-C', cwd, 'bundle', 'list-heads', file], { env: git.env });
  const refs: Record<string, string> = {};
  for (const line of listed.stdout.toString('utf8').split('\n').filter(Boolean)) {
    const [id, name] = line.split(' ');
    if (id && name && name !== 'HEAD') refs[name] = id;
  }
  return { refs, objects: await packObjectCount(file) };
}

/**
 * The object count in the pack that follows a bundle's header: the header ends at the first empty
 * line; the pack starts `PACK`, a 4-byte version and a 4-byte big-endian count
 * (gitformat-bundle(5), gitformat-pack(5)).
 */
async function packObjectCount(file: string): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const end = buf.subarray(0, bytesRead).indexOf('\n\n');
    if (end < 0) return 0;
    const pack = buf.subarray(end + 2, end + 14);
    return pack.length === 12 && pack.toString('latin1', 0, 4) === 'PACK' ? pack.readUInt32BE(8) : 0;
  } finally {
    await fh.close();
  }
}

/**
 * Makes the bare repo `dir` from a backup: `git init --bare` with the saved object format, the
 * saved `config`, the bundle's refs fetched as they were (`+refs/*:refs/*`), HEAD pointed back
 * at the saved branch.
 */
export async function restoreGitRepo(git: GitTool, dir: string, saved: { bundle: string | undefined; config: string | undefined; head: string | undefined; objectFormat: 'sha1' | 'sha256' }): Promise<void> {
  await runProcess(git.executable, ['init', '--quiet', '--bare', `--object-format=${saved.objectFormat}`, '--', dir], { env: git.env });
  const run = async (args: string[]) => runProcess(git.executable, ['-C', dir, ...args], { env: git.env });
  if (saved.config !== undefined) {
    await copyFile(saved.config, `${dir}/config`);
  }
  if (saved.bundle !== undefined) await run(['fetch', '--quiet', '--no-write-fetch-head', saved.bundle, '+refs/*:refs/*']);
  if (saved.head !== undefined) await run(['symbolic-ref', 'HEAD', saved.head]);
}
