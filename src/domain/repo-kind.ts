export type RepoKind = 'hg' | 'git';
