/** What the REST API keeps about repos beyond their row: commit statuses and descriptions. */

/** Gitea's commit status states. */
export const STATUS_STATES = ['pending', 'success', 'error', 'failure', 'warning'] as const;
export type StatusState = (typeof STATUS_STATES)[number];

export interface CommitStatus {
  readonly id: number;
  readonly repoId: number;
  /** The full commit id (40 hex for git and hg, 64 for SHA-256 git). */
  readonly sha: string;
  readonly context: string;
  readonly state: StatusState;
  readonly description: string;
  readonly targetUrl: string;
  readonly creator: { readonly id: number; readonly name: string } | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CommitStatusStore {
  /** Records a status; a second post with the same context on the same commit replaces the first. */
  set(repoId: number, sha: string, status: { context: string; state: StatusState; description: string; targetUrl: string; creatorId: number | null }): Promise<CommitStatus>;
  /** Every status of a commit, newest first. */
  forCommit(repoId: number, sha: string): Promise<CommitStatus[]>;
}

export interface RepoDescriptionStore {
  /** The repo's description, '' when none was set. */
  get(repoId: number): Promise<string>;
  /** Descriptions of many repos at once (a listing page), '' omitted. */
  many(repoIds: readonly number[]): Promise<Map<number, string>>;
  set(repoId: number, description: string): Promise<void>;
}

/**
 * The state a set of statuses adds up to, as Gitea combines them: any error or failure is
 * `failure`/`error` (the worst wins: error > failure > warning > pending > success); none is `pending`.
 */
export function combinedState(statuses: readonly Pick<CommitStatus, 'state'>[]): StatusState {
  const rank: Record<StatusState, number> = { success: 0, pending: 1, warning: 2, failure: 3, error: 4 };
  if (statuses.length === 0) return 'pending';
  return statuses.reduce<StatusState>((worst, s) => (rank[s.state] > rank[worst] ? s.state : worst), 'success');
}
