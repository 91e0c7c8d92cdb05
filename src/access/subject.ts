import type { Repo, User } from '../store/types.js';

/** Who is asking. Every edge (ssh, http, web, cdn, cli) turns its credentials into one of these. */
export type Subject =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly user: User; /** a read-only token caps every level at read */ readonly readOnly: boolean }
  | { readonly kind: 'deploy-key'; readonly repo: Repo; readonly write: boolean; readonly fingerprint: string };

export const ANONYMOUS: Subject = Object.freeze({ kind: 'anonymous' });

export function describeSubject(subject: Subject): string {
  switch (subject.kind) {
    case 'anonymous':
      return 'anonymous';
    case 'user':
      return subject.user.name;
    case 'deploy-key':
      return `deploy key ${subject.fingerprint} of ${subject.repo.path}`;
  }
}
