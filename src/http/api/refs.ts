import { InvalidInputError, NotFoundError } from '../../domain/errors.js';
import type { Repo } from '../../store/types.js';
import { isPlausibleRef, type RefInfo, type RepoBrowser } from '../../vcs/browse.js';
import { HgBrowser, TOPIC_REF_PREFIX } from '../../vcs/hg/browse.js';

/** A ref as the API lists it: a git branch, or an hg named branch, bookmark or evolve topic. */
export interface ApiBranch extends RefInfo {
  readonly kind: 'branch' | 'bookmark' | 'topic';
}

/**
 * Every branch-like ref of a repo. git: its branches. hg: named branches (closed ones too),
 * bookmarks, and evolve topics named `topic/NAME` as the CDN and the web name them.
 */
export async function branchesOf(repo: Pick<Repo, 'kind'>, browser: RepoBrowser): Promise<ApiBranch[]> {
  const branches: ApiBranch[] = (await browser.branches()).map((b) => ({ ...b, kind: 'branch' }));
  if (repo.kind !== 'hg' || !(browser instanceof HgBrowser)) return branches;
  const [bookmarks, topics] = await Promise.all([browser.bookmarks(), browser.topics()]);
  return [...branches, ...bookmarks.map((b): ApiBranch => ({ ...b, kind: 'bookmark' })), ...topics.map((t): ApiBranch => ({ ...t, kind: 'topic' }))];
}

/**
 * A ref from a URL to a full commit id: a branch, tag, bookmark, topic or hex id (prefix), as
 * the web pages resolve them; for hg also Heptapod's names `branch/NAME` (a named branch) and
 * `topic/BRANCH/TOPIC` (a topic). Without `ref`, the default branch.
 * @throws InvalidInputError for a ref no repo could have; NotFoundError FERRY_NOT_FOUND for one
 *   this repo does not have (or an empty repo).
 */
export async function resolveRef(repo: Pick<Repo, 'kind' | 'path'>, browser: RepoBrowser, ref: string | undefined): Promise<{ ref: string; id: string }> {
  const name = ref === undefined || ref === '' ? await browser.defaultBranch() : ref;
  if (name === undefined) throw new NotFoundError(`${repo.path} is empty: push something first`);
  if (!isPlausibleRef(name)) throw new InvalidInputError(`${JSON.stringify(name)} is not a ref: name a branch, tag or commit id`);
  const id = (await browser.resolve(name)) ?? (repo.kind === 'hg' ? await heptapodAlias(browser, name) : undefined);
  if (!id) throw new NotFoundError(`no branch, tag or commit ${name} in ${repo.path}`);
  return { ref: name, id };
}

async function heptapodAlias(browser: RepoBrowser, name: string): Promise<string | undefined> {
  if (name.startsWith('branch/')) {
    const branch = name.slice('branch/'.length);
    return (await browser.branches()).find((b) => b.name === branch)?.id;
  }
  const topic = /^topic\/[^/]+\/(.+)$/.exec(name)?.[1];
  return topic === undefined ? undefined : browser.resolve(`${TOPIC_REF_PREFIX}${topic}`);
}
