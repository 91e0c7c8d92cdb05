import type { Repo, User } from '../store/types.js';

/** Who is asking. Every edge (ssh, http, web, cdn, cli) turns its credentials into one of these. */
export type Subject =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'user';
      readonly user: User;
      /** a read-only token caps every level at read */
      readonly readOnly: boolean;
      /**
       * The credential this subject signed in with, when it is one that can be revoked on its own
       * (a token, an SSH key): anything handed out for later (a signed link) dies with it.
       */
      readonly credential?: Credential;
    }
  | { readonly kind: 'deploy-key'; readonly repo: Repo; readonly write: boolean; readonly fingerprint: string };

export type Credential = { readonly kind: 'token'; readonly id: number } | { readonly kind: 'key'; readonly fingerprint: string };

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
