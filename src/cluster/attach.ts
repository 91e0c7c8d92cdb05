import type { RepoEvents } from '../events/repo-events.js';
import type { Logger } from '../log/logger.js';
import type { RepoStore } from '../store/types.js';
import type { ClusterBus, ClusterEvent } from './bus.js';

/**
 * Joins this node to the others: its repo changes and removals are published (a push waits for
 * the live nodes' acknowledgements, as it waits for its own CDN), and theirs are applied here to
 * what this node keeps for itself (the `onChangedAnywhere` / `onRemovedAnywhere` listeners: CDN
 * snapshots and hot answers, `ferry publish` dirs, repo readers). Webhooks, housekeeping and
 * other once-per-change work stay with the node that made the change.
 */
export async function joinCluster(
  deps: { readonly events: RepoEvents; readonly repos: Pick<RepoStore, 'byId' | 'list'>; readonly forgetLookups: () => void; readonly log: Logger },
  bus: ClusterBus,
): Promise<void> {
  const { events, repos, log } = deps;
  events.onChanged(({ repo }) => bus.publish({ type: 'changed', repoId: repo.id }).catch((err: unknown) => log.warn({ err, path: repo.path }, 'could not tell the other nodes of a change')));
  events.onRemoved(({ repo }) => void bus.publish({ type: 'removed', repo }).catch((err: unknown) => log.warn({ err, path: repo.path }, 'could not tell the other nodes of a removal')));
  await bus.start({
    apply: (event) => applyClusterEvent(deps, event),
    async reloadAll() {
      deps.forgetLookups();
      for (const repo of await repos.list()) await events.emitChangedElsewhere({ repo, cause: 'admin' });
    },
  });
}

/**
 * Applies a repo event another process made — another node (src/cluster/bus.ts) or a `ferry`
 * command line on this data dir (src/cluster/local-relay.ts) — to what this process keeps for
 * itself: lookups are read again, and the `…Anywhere` listeners hear it.
 */
export async function applyClusterEvent(
  deps: { readonly events: RepoEvents; readonly repos: Pick<RepoStore, 'byId'>; readonly forgetLookups: () => void },
  event: ClusterEvent,
): Promise<void> {
  deps.forgetLookups();
  if (event.type === 'removed') {
    deps.events.emitRemovedElsewhere({ repo: event.repo });
    return;
  }
  const repo = await deps.repos.byId(event.repoId);
  if (repo) await deps.events.emitChangedElsewhere({ repo, cause: 'admin' });
}
