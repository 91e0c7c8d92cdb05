import type { App } from '../main.js';
import type { CdnWorkerPool } from './workers/pool.js';

/** How long a push waits for the CDN to serve what it changed before returning anyway. */
const FRESHNESS_WAIT_MS = 5_000;

/**
 * Subscribes the CDN to repo events, this node's and (src/cluster) the other nodes': a push or sync
 * is served before the push returns.
 */
export function attachCdn(app: Pick<App, 'events' | 'cdn' | 'publisher' | 'cdnRepos'>, workers?: Pick<CdnWorkerPool, 'changed' | 'removed'>): void {
  app.events.onChangedAnywhere(async ({ repo, cause }) => {
    // A change made by an admin (visibility, a move), here or on another node, reaches the CDN's repo lookup at once.
    if (cause === 'admin') app.cdnRepos.clear();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, FRESHNESS_WAIT_MS)));
    const served = Promise.all([app.cdn.repoChanged(repo), workers?.changed(repo)]).then(() => {});
    // Published directories follow in the background: a push does not wait for disk writes.
    void served.then(() => app.publisher.repoChanged(repo));
    await Promise.race([served, waited]);
    clearTimeout(timer);
  });
  void app.publisher.syncAll();
  app.events.onRemovedAnywhere(({ repo }) => {
    app.cdn.repoRemoved(repo);
    app.cdnRepos.clear();
    workers?.removed(repo);
  });
}
