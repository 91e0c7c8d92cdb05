import type { App } from '../../main.js';
import { FERRY } from '../invocation.js';
import { FerryError, UsageError } from '../../domain/errors.js';
import { parseRepoPath } from '../../domain/repo-path.js';
import { parseCommand, print, printTable } from '../io.js';
import { repoUrlLines, repoUrls } from '../../services/repo-urls.js';
import type { Repo } from '../../store/types.js';

const CREATE_USAGE = `${FERRY} repo create PATH [--git [--object-format sha1|sha256]] [--public]`;
const USAGE =
  `${FERRY} repo create PATH [--git [--object-format sha1|sha256]] [--public] | ${FERRY} repo set PATH [--public|--private] [--publishing|--non-publishing] | ${FERRY} repo list | ${FERRY} repo rm PATH | ${FERRY} repo mv OLD NEW`;

export async function repoCommand(app: App, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create': {
      const { values, positionals } = parseCommand(
        rest,
        { git: { type: 'boolean' }, hg: { type: 'boolean' }, public: { type: 'boolean' }, 'object-format': { type: 'string' } },
        CREATE_USAGE,
        { min: 1, max: 1 },
      );
      if (values.git && values.hg) throw new UsageError('choose one of --git and --hg');
      const format = values['object-format'];
      if (format !== undefined && format !== 'sha1' && format !== 'sha256') {
        throw new UsageError(`--object-format takes sha1 or sha256, not ${JSON.stringify(format)}`);
      }
      if (format !== undefined && !values.git) throw new UsageError('--object-format applies to git repositories: add --git');
      const repo = await app.repositories.create(parseRepoPath(positionals[0] as string), values.git ? 'git' : 'hg', {
        isPublic: values.public === true,
        ...(format !== undefined ? { objectFormat: format } : {}),
      });
      print(`created ${repo.kind} repository ${repo.path}${format === 'sha256' ? ' (SHA-256)' : ''} (${repo.isPublic ? 'public' : 'private'})`);
      printRepoUrls(app, repo);
      return 0;
    }
    case 'set': {
      const usage = `${FERRY} repo set PATH [--public|--private] [--publishing|--non-publishing]`;
      const { values, positionals } = parseCommand(
        rest,
        { public: { type: 'boolean' }, private: { type: 'boolean' }, publishing: { type: 'boolean' }, 'non-publishing': { type: 'boolean' } },
        usage,
        { min: 1, max: 1 },
      );
      const visibility = values.public === true || values.private === true;
      const phases = values.publishing === true || values['non-publishing'] === true;
      if ((values.public && values.private) || (values.publishing && values['non-publishing']) || (!visibility && !phases)) {
        throw new UsageError(`usage: ${usage}`);
      }
      const path = parseRepoPath(positionals[0] as string);
      if (phases) {
        const repo = await app.hgPhases.set(path, values.publishing === true);
        print(values.publishing ? `${repo.path} is now publishing (pushed changesets become public)` : `${repo.path} is now non-publishing (pushed drafts stay draft)`);
      }
      if (visibility) {
        const repo = await app.repositories.setPublic(path, values.public === true);
        print(`${repo.path} is now ${repo.isPublic ? 'public' : 'private'}`);
      }
      return 0;
    }
    case 'list': {
      parseCommand(rest, {}, `${FERRY} repo list`, { min: 0, max: 0 });
      const repos = await app.stores.repos.list();
      printTable(
        ['PATH', 'KIND', 'VISIBILITY', 'CREATED'],
        repos.map((r) => [r.path, r.kind, r.isPublic ? 'public' : 'private', r.createdAt]),
      );
      return 0;
    }
    case 'rm': {
      const { positionals } = parseCommand(rest, {}, `${FERRY} repo rm PATH`, { min: 1, max: 1 });
      const path = parseRepoPath(positionals[0] as string);
      await app.repositories.remove(path);
      print(`removed repository ${path}`);
      return 0;
    }
    case 'mv': {
      const { positionals } = parseCommand(rest, {}, `${FERRY} repo mv OLD NEW`, { min: 2, max: 2 });
      const from = parseRepoPath(positionals[0] as string);
      if (from === parseRepoPath(positionals[1] as string)) throw new FerryError('FERRY_INVALID_INPUT', `${from} is already at ${from}; give the new path (changing only the case of letters is a move too)`);
      const before = await app.stores.repos.byPath(from);
      const moved = await app.repositories.move(from, parseRepoPath(positionals[1] as string));
      const old = before?.path ?? from;
      const recased = old.toLowerCase() === moved.path.toLowerCase();
      print(`moved ${old} to ${moved.path}${recased ? '' : ` (with its grants, deploy keys and mirror; ${old} redirects there until a repo is created at it)`}`);
      return 0;
    }
    default:
      throw new UsageError(`usage: ${USAGE}`);
  }
}

/** Prints how to reach a new repo (every create does). */
export function printRepoUrls(app: App, repo: Pick<Repo, 'kind' | 'path'>): void {
  for (const line of repoUrlLines(repo.kind, repoUrls(app.config, repo.path))) print(line);
}
