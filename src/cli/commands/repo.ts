import type { App } from '../../main.js';
import { FERRY } from '../invocation.js';
import { UsageError } from '../../domain/errors.js';
import { parseRepoPath } from '../../domain/repo-path.js';
import { parseCommand, print, printTable } from '../io.js';

const USAGE =
  `${FERRY} repo create PATH [--git] [--public] | ${FERRY} repo set PATH --public|--private | ${FERRY} repo list | ${FERRY} repo rm PATH | ${FERRY} repo mv OLD NEW`;

export async function repoCommand(app: App, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create': {
      const { values, positionals } = parseCommand(
        rest,
        { git: { type: 'boolean' }, hg: { type: 'boolean' }, public: { type: 'boolean' } },
        `${FERRY} repo create PATH [--git] [--public]`,
        { min: 1, max: 1 },
      );
      if (values.git && values.hg) throw new UsageError('choose one of --git and --hg');
      const repo = await app.repositories.create(parseRepoPath(positionals[0] as string), values.git ? 'git' : 'hg', {
        isPublic: values.public === true,
      });
      print(`created ${repo.kind} repository ${repo.path} (${repo.isPublic ? 'public' : 'private'})`);
      return 0;
    }
    case 'set': {
      const { values, positionals } = parseCommand(
        rest,
        { public: { type: 'boolean' }, private: { type: 'boolean' } },
        `${FERRY} repo set PATH --public|--private`,
        { min: 1, max: 1 },
      );
      if (values.public === values.private) throw new UsageError(`usage: ${FERRY} repo set PATH --public|--private`);
      const repo = await app.stores.repos.setPublic(parseRepoPath(positionals[0] as string), values.public === true);
      print(`${repo.path} is now ${repo.isPublic ? 'public' : 'private'}`);
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
      const moved = await app.repositories.move(parseRepoPath(positionals[0] as string), parseRepoPath(positionals[1] as string));
      print(`moved ${positionals[0]} to ${moved.path}`);
      return 0;
    }
    default:
      throw new UsageError(`usage: ${USAGE}`);
  }
}
