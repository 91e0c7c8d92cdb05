import { CommandRefusedError, FerryError } from '../domain/errors.js';
import { parseRepoPath, type RepoPath } from '../domain/repo-path.js';

export type GitService = 'git-upload-pack' | 'git-receive-pack' | 'git-upload-archive';

/** What an SSH client may ask Ferry to run, parsed once from the exec request's words. */
export type SshCommand =
  | { readonly kind: 'hg-serve'; readonly path: RepoPath }
  | { readonly kind: 'hg-init'; readonly path: RepoPath }
  | { readonly kind: 'git'; readonly service: GitService; readonly path: RepoPath }
  /** git-lfs asks for the LFS HTTP endpoint and a token (git-lfs docs/api/server-discovery.md). */
  | { readonly kind: 'git-lfs-authenticate'; readonly path: RepoPath; readonly operation: 'upload' | 'download' };

export const MAX_COMMAND_LENGTH = 1024;

const GIT_SERVICES: readonly GitService[] = ['git-upload-pack', 'git-receive-pack', 'git-upload-archive'];
/** Characters allowed outside single quotes: no shell metacharacter, no backslash, no quote. */
const PLAIN = /^[A-Za-z0-9._/@%+=:,~-]$/;

/**
 * Parses an exec request into a typed command, or throws CommandRefusedError. Nothing about the
 * command line reaches a program: the result holds a validated RepoPath and a fixed verb.
 */
export function parseSshCommand(line: string): SshCommand {
  if (line.length > MAX_COMMAND_LENGTH) throw refused(`command longer than ${MAX_COMMAND_LENGTH} characters`);
  const words = splitWords(line);
  const [first, ...rest] = words;
  if (first === 'hg') return parseHg(rest);
  if (first === 'git-lfs-authenticate' && rest.length === 2 && (rest[1] === 'upload' || rest[1] === 'download')) {
    const { path } = gitCommand('git-upload-pack', rest[0] as string) as { path: RepoPath };
    return { kind: 'git-lfs-authenticate', path, operation: rest[1] };
  }
  if (first === 'git' && rest.length === 2 && GIT_SERVICES.includes(`git-${rest[0] ?? ''}` as GitService)) {
    return gitCommand(`git-${rest[0]}` as GitService, rest[1] as string);
  }
  if (first !== undefined && GIT_SERVICES.includes(first as GitService) && rest.length === 1) {
    return gitCommand(first as GitService, rest[0] as string);
  }
  throw refused(`unknown command ${JSON.stringify(truncate(line))}`);
}

function parseHg(args: string[]): SshCommand {
  if (args.length === 4 && args[0] === '-R' && args[2] === 'serve' && args[3] === '--stdio') {
    return { kind: 'hg-serve', path: repoPath(args[1] as string) };
  }
  if (args.length === 2 && args[0] === 'init') return { kind: 'hg-init', path: repoPath(args[1] as string) };
  throw refused(`only "hg -R PATH serve --stdio" and "hg init PATH" are accepted`);
}

function gitCommand(service: GitService, rawPath: string): SshCommand {
  const path = repoPath(rawPath);
  return { kind: 'git', service, path: path.endsWith('.git') && path.length > 4 ? repoPath(path.slice(0, -4)) : path };
}

function repoPath(word: string): RepoPath {
  try {
    return parseRepoPath(word);
  } catch (err) {
    if (err instanceof FerryError) throw refused(err.message);
    throw err;
  }
}

/**
 * Splits on single spaces the way a POSIX shell would for the subset clients send: plain words
 * and single-quoted words. Everything else a shell would interpret is refused.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let current: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t') {
      if (current !== undefined) words.push(current);
      current = undefined;
    } else if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close < 0) throw refused('unbalanced quote');
      const quoted = line.slice(i + 1, close);
      if (/[\0\r\n]/.test(quoted)) throw refused('control characters in the command');
      current = (current ?? '') + quoted;
      i = close;
    } else if (PLAIN.test(c)) {
      current = (current ?? '') + c;
    } else {
      throw refused(c.charCodeAt(0) < 32 || c === '\x7f' ? 'control characters in the command' : `character ${JSON.stringify(c)} is not allowed`);
    }
  }
  if (current !== undefined) words.push(current);
  return words;
}

function refused(why: string): CommandRefusedError {
  return new CommandRefusedError(`command refused: ${why}. Ferry runs only "hg -R PATH serve --stdio", "hg init PATH", git-upload-pack/git-receive-pack/git-upload-archive 'PATH' and git-lfs-authenticate PATH upload|download`);
}

function truncate(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 57)}...` : clean;
}
