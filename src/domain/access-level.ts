export const ACCESS_LEVELS = ['none', 'read', 'write', 'admin'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];
export type GrantLevel = Exclude<AccessLevel, 'none'>;

export function rank(level: AccessLevel): number {
  return ACCESS_LEVELS.indexOf(level);
}

export function atLeast(level: AccessLevel, needed: AccessLevel): boolean {
  return rank(level) >= rank(needed);
}

export function maxLevel(a: AccessLevel, b: AccessLevel): AccessLevel {
  return rank(a) >= rank(b) ? a : b;
}

export function minLevel(a: AccessLevel, b: AccessLevel): AccessLevel {
  return rank(a) <= rank(b) ? a : b;
}

export function isGrantLevel(s: string): s is GrantLevel {
  return s === 'read' || s === 'write' || s === 'admin';
}
