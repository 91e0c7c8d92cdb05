import { runProcess } from '../process.js';

/** Branches preferred for HEAD when one push brings several into an empty repo (git's and hosts' defaults). */
const PREFERRED = ['main', 'master', 'trunk', 'develop'];

/**
 * The default branch rule (DESIGN.md: "HEAD follows the first branch pushed to an empty repo"):
 * when HEAD names a branch that does not exist and the repo has branches, HEAD is pointed at the
 * branch that came first — the only one, or of several pushed at once `main`, `master`, `trunk`,
 * `develop`, else the first by name. A HEAD naming an existing branch (or detached) is left alone.
 * Returns the branch HEAD was moved to, or undefined when nothing changed.
 *
 * Run after every change (push over SSH or HTTP, import, mirror sync), so `git clone` checks out,
 * the CDN's `/cdn/PATH/FILE`, `ferry publish` without `--ref` and the web pages all agree.
 */
export async function settleGitHead(git: { readonly executable: string; readonly env: NodeJS.ProcessEnv }, dir: string): Promise<string | undefined> {
  const run = (args: readonly string[]) => runProcess(git.executable, ['-C', dir, ...args], { env: git.env, allowFailure: true });
  const [head, list] = await Promise.all([run(['symbolic-ref', '--quiet', 'HEAD']), run(['for-each-ref', '--format=%(refname)', 'refs/heads/'])]);
  if (head.code !== 0 || list.code !== 0) return undefined;
  const target = head.stdout.toString('utf8').trim();
  const branches = list.stdout.toString('utf8').split('\n').filter(Boolean);
  if (branches.length === 0 || branches.includes(target)) return undefined;
  const names = branches.map((ref) => ref.slice('refs/heads/'.length)).sort();
  const chosen = PREFERRED.find((name) => names.includes(name)) ?? (names[0] as string);
  const moved = await run(['symbolic-ref', '-m', 'ferry: HEAD follows the first branch pushed', 'HEAD', `refs/heads/${chosen}`]);
  return moved.code === 0 ? chosen : undefined;
}
