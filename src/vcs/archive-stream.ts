import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { FerryError } from '../domain/errors.js';
import type { RepoKind } from '../domain/repo-kind.js';

export type ArchiveFormat = 'tar.gz' | 'zip';

export interface ArchiveSpec {
  readonly kind: RepoKind;
  readonly executable: string;
  readonly env: NodeJS.ProcessEnv;
  readonly dir: string;
  /** A full commit id (resolved before: never a name a client typed). */
  readonly id: string;
  readonly format: ArchiveFormat;
  /** The directory every entry is put under, e.g. `app-v1.0`. */
  readonly prefix: string;
}

/**
 * Streams an archive of one commit as hg or git writes it to stdout — `git archive
 * --format=tar.gz|zip --prefix=P/ ID` (git-archive(1)), `hg archive -r ID -t tgz|zip -p P -`
 * (hg help archive: `-` is standard output) — never held whole in memory. Resolves once the
 * first bytes came (so a failure before them is still an error answer); the stream ends the
 * process when it is cancelled (the client went away).
 * @throws FerryError FERRY_VCS_FAILED when the program fails before writing anything.
 */
export async function archiveStream(spec: ArchiveSpec): Promise<ReadableStream<Uint8Array>> {
  if (!/^[0-9a-f]{40,64}$/.test(spec.id)) throw new FerryError('FERRY_INVALID_INPUT', 'an archive is made of a full commit id');
  const args =
    spec.kind === 'git'
      ? ['-C', spec.dir, 'archive', `--format=${spec.format}`, `--prefix=${spec.prefix}/`, spec.id]
      : ['-R', spec.dir, 'archive', '-r', spec.id, '-t', spec.format === 'zip' ? 'zip' : 'tgz', '-p', spec.prefix, '--', '-'];
  const child = spawn(spec.executable, args, { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    if (stderr.length < 4096) stderr += b.toString('utf8');
  });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  const first = await new Promise<Buffer | null>((resolve, reject) => {
    child.on('error', (e) => reject(new FerryError('FERRY_VCS_FAILED', `could not run ${spec.executable}: ${e.message}`, { cause: e })));
    child.stdout.once('readable', () => resolve(child.stdout.read() as Buffer | null));
  });
  if (first === null) {
    const code = await exited;
    if (code !== 0) throw new FerryError('FERRY_VCS_FAILED', `${spec.kind} archive failed: ${stderr.trim().split('\n').pop() ?? `exit ${code}`}`);
  } else {
    child.stdout.unshift(first);
  }
  child.stdout.on('close', () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  return Readable.toWeb(child.stdout) as unknown as ReadableStream<Uint8Array>;
}
