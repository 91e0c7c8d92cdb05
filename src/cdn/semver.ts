/**
 * Just enough semver for CDN refs (`@1`, `@1.4`, `@^1.4.0`, `@~2.1`, `@>=1.2 <2`, `@1.x || 2`,
 * `@latest`): versions parsed from tag names (`v1.2.3`, `1.2.3`, `1.2.3-rc.1`), ranges with npm's
 * meaning, including its rule that a prerelease matches only a range that names a prerelease of
 * the same major.minor.patch. Written here rather than pulling in the `semver` package because the
 * CDN needs a dozen lines of its grammar and nothing else (coercion, increments, loose parsing).
 */
export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly pre: readonly (string | number)[];
}

const VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$/;

/** The version a tag names, or undefined for tags that are not versions. */
export function parseVersion(tag: string): Version | undefined {
  const m = VERSION.exec(tag);
  if (!m) return undefined;
  const pre = m[4] === undefined ? [] : m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre };
}

export function compareVersions(a: Version, b: Version): number {
  for (const k of ['major', 'minor', 'patch'] as const) {
    if (a[k] !== b[k]) return a[k] - b[k];
  }
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

type Op = '<' | '<=' | '>' | '>=' | '=';
interface Comparator {
  readonly op: Op;
  readonly version: Version;
}
/** Alternatives (`||`) of comparator sets that must all hold. */
export type Range = readonly (readonly Comparator[])[];

const PARTIAL = /^(<=|>=|<|>|=|\^|~)?\s*v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parses a range; undefined when `input` is not one (so the caller can say "no such ref"). */
export function parseRange(input: string): Range | undefined {
  const text = input.trim();
  if (text === '' || text.length > 200) return undefined;
  if (text === 'latest' || text === '*' || text === 'x') return [[]];
  const alternatives: Comparator[][] = [];
  for (const alt of text.split('||')) {
    const set: Comparator[] = [];
    const words = alt.trim().replace(/(<=|>=|<|>|=|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean);
    const hyphen = words.length === 3 && words[1] === '-';
    if (hyphen) {
      const lo = desugar(`>=${words[0]}`);
      const hi = desugar(`<=${words[2]}`);
      if (!lo || !hi) return undefined;
      set.push(...lo, ...hi);
    } else {
      for (const word of words) {
        const comparators = desugar(word);
        if (!comparators) return undefined;
        set.push(...comparators);
      }
    }
    alternatives.push(set);
  }
  return alternatives;
}

function desugar(word: string): Comparator[] | undefined {
  const m = PARTIAL.exec(word);
  if (!m) return undefined;
  const op = m[1] ?? '';
  const num = (s: string | undefined) => (s === undefined || /^[xX*]$/.test(s) ? undefined : Number(s));
  const major = num(m[2]);
  const minor = major === undefined ? undefined : num(m[3]);
  const patch = minor === undefined ? undefined : num(m[4]);
  const pre = m[5] !== undefined && patch !== undefined ? m[5].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [];
  const v = (a: number, b: number, c: number, p: readonly (string | number)[] = []): Version => ({ major: a, minor: b, patch: c, pre: p });
  const floor = v(major ?? 0, minor ?? 0, patch ?? 0, pre);
  const below = (x: Version): Comparator => ({ op: '<', version: { ...x, pre: [0] } });
  if (major === undefined) return op === '<' || op === '>' ? [{ op: '<', version: v(0, 0, 0, [0]) }] : [];
  const nextMajor = v(major + 1, 0, 0);
  const nextMinor = v(major, (minor ?? 0) + 1, 0);
  switch (op) {
    case '':
    case '=':
      if (patch !== undefined) return [{ op: '=', version: floor }];
      return [{ op: '>=', version: floor }, below(minor === undefined ? nextMajor : nextMinor)];
    case '^': {
      let ceiling: Version;
      if (major > 0 || minor === undefined) ceiling = nextMajor;
      else if (minor > 0 || patch === undefined) ceiling = nextMinor;
      else ceiling = v(0, 0, patch + 1);
      return [{ op: '>=', version: floor }, below(ceiling)];
    }
    case '~':
      return [{ op: '>=', version: floor }, below(minor === undefined ? nextMajor : nextMinor)];
    case '>=':
      return [{ op: '>=', version: floor }];
    case '<':
      return [patch === undefined ? below(floor) : { op: '<', version: floor }];
    case '>':
      if (patch !== undefined) return [{ op: '>', version: floor }];
      return [{ op: '>=', version: minor === undefined ? nextMajor : nextMinor }];
    case '<=':
      if (patch !== undefined) return [{ op: '<=', version: floor }];
      return [below(minor === undefined ? nextMajor : nextMinor)];
    default:
      return undefined;
  }
}

export function satisfies(version: Version, range: Range): boolean {
  return range.some((set) => {
    if (!set.every((c) => test(version, c))) return false;
    if (version.pre.length === 0) return true;
    // npm's rule: a prerelease only matches when the range names a prerelease of the same x.y.z.
    return set.some(
      (c) => c.version.pre.length > 0 && c.version.pre[0] !== 0 && c.version.major === version.major && c.version.minor === version.minor && c.version.patch === version.patch,
    );
  });
}

function test(version: Version, c: Comparator): boolean {
  const d = compareVersions(version, c.version);
  switch (c.op) {
    case '<':
      return d < 0;
    case '<=':
      return d <= 0;
    case '>':
      return d > 0;
    case '>=':
      return d >= 0;
    case '=':
      return d === 0;
  }
}

/** The tag whose version is highest among those satisfying `range`. */
export function maxSatisfying(tags: Iterable<string>, range: Range): string | undefined {
  let best: { tag: string; version: Version } | undefined;
  for (const tag of tags) {
    const version = parseVersion(tag);
    if (!version || !satisfies(version, range)) continue;
    const d = best ? compareVersions(version, best.version) : 1;
    // Prefer `v1.2.3` over `1.2.3` only as a stable tie-break.
    if (d > 0 || (d === 0 && best !== undefined && tag < best.tag)) best = { tag, version };
  }
  return best?.tag;
}
