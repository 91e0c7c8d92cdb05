import { html, type SafeHtml } from './html.js';

export interface GraphNode {
  readonly id: string;
  readonly parents: readonly string[];
}

/** One edge piece in lane units; `target` is the commit the lane leads down to (whose colour it takes). */
export interface GraphSegment {
  readonly x1: number;
  readonly y1: 0 | 1;
  readonly x2: number;
  readonly y2: 1 | 2;
  readonly lane: number;
  readonly target: string;
}

/** One row's drawing: segments in lane units, y from 0 (top) through 1 (node) to 2 (bottom). */
export interface GraphRow {
  readonly id: string;
  readonly column: number;
  readonly width: number;
  readonly segments: readonly GraphSegment[];
}

/**
 * Assigns lanes to commits listed children-before-parents (hg revision order reversed, git
 * --date-order) and the edges between them. Edges to parents not on this page run off the bottom.
 */
export function layoutGraph(nodes: readonly GraphNode[]): GraphRow[] {
  const lanes: (string | null)[] = [];
  const rows: GraphRow[] = [];
  const free = (): number => {
    const i = lanes.indexOf(null);
    if (i >= 0) return i;
    lanes.push(null);
    return lanes.length - 1;
  };
  for (const node of nodes) {
    const segments: GraphSegment[] = [];
    let column = lanes.indexOf(node.id);
    if (column < 0) column = free();
    const before = [...lanes];
    for (let i = 0; i < before.length; i++) {
      if (before[i] === node.id) {
        segments.push({ x1: i, y1: 0, x2: column, y2: 1, lane: i, target: node.id });
        lanes[i] = null;
      }
    }
    const [first, ...rest] = node.parents;
    if (first !== undefined) {
      const j = lanes.indexOf(first);
      if (j >= 0) segments.push({ x1: column, y1: 1, x2: j, y2: 2, lane: j, target: first });
      else {
        lanes[column] = first;
        segments.push({ x1: column, y1: 1, x2: column, y2: 2, lane: column, target: first });
      }
    }
    for (const p of rest) {
      let j = lanes.indexOf(p);
      if (j < 0) {
        j = free();
        lanes[j] = p;
      }
      segments.push({ x1: column, y1: 1, x2: j, y2: 2, lane: j, target: p });
    }
    for (let i = 0; i < before.length; i++) {
      if (before[i] !== null && before[i] !== node.id && lanes[i] === before[i]) segments.push({ x1: i, y1: 0, x2: i, y2: 2, lane: i, target: before[i] as string });
    }
    while (lanes.length > 0 && lanes[lanes.length - 1] === null) lanes.pop();
    const width = Math.max(column + 1, before.length, lanes.length, ...segments.map((s) => Math.max(s.x1, s.x2) + 1));
    rows.push({ id: node.id, column, width, segments });
  }
  return rows;
}

const LANE = 14;
const COLORS = 8;

/**
 * A colour (0-7) per branch name, stable across pages and repos: the same branch is drawn in the
 * same colour wherever its lane runs (FNV-1a of the name, its bits mixed).
 */
export function branchColour(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  // FNV's low bits depend only on the low bits of each character: mix the high bits down first.
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  h ^= h >>> 16;
  return (h >>> 0) % COLORS;
}

/**
 * The branch each commit of a page belongs to, for colouring: an hg changeset's named branch; for
 * git, the branch whose head reaches it along first parents (newest first, first claim wins).
 * Parents off the page inherit from their first child on it.
 */
export function branchOfCommits(commits: readonly { id: string; parents: readonly string[]; labels: readonly { kind: string; name: string }[] }[], kind: 'hg' | 'git', fallback: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of commits) {
    const own = c.labels.find((l) => l.kind === 'branch')?.name;
    if (kind === 'hg' || !out.has(c.id)) out.set(c.id, own ?? out.get(c.id) ?? fallback);
    const first = c.parents[0];
    if (first !== undefined && !out.has(first)) out.set(first, out.get(c.id) as string);
  }
  return out;
}

/** One row's SVG cell (the rows of the log are of fixed height, so cells join into one graph). */
export function graphCell(row: GraphRow, maxWidth: number, options: { closed?: boolean; colourOf?: (id: string) => number | undefined } = {}): SafeHtml {
  const colour = (id: string, lane: number): number => options.colourOf?.(id) ?? lane % COLORS;
  const w = maxWidth * LANE + 4;
  const x = (lane: number): number => lane * LANE + LANE / 2 + 2;
  const y = (v: 0 | 1 | 2): number => v * 24;
  const paths = row.segments.map((s) => {
    const x1 = x(s.x1);
    const x2 = x(s.x2);
    const y1 = y(s.y1);
    const y2 = y(s.y2);
    const d = x1 === x2 ? `M${x1} ${y1}V${y2}` : `M${x1} ${y1}C${x1} ${(y1 + y2) / 2} ${x2} ${(y1 + y2) / 2} ${x2} ${y2}`;
    return html`<path class="g${colour(s.target, s.lane)}" d="${d}"/>`;
  });
  const cx = x(row.column);
  return html`<svg class="graph" width="${w}" height="48" viewBox="0 0 ${w} 48" preserveAspectRatio="none" aria-hidden="true">${paths}<circle class="n${colour(row.id, row.column)}${options.closed ? ' closed' : ''}" cx="${cx}" cy="24" r="4.5"/></svg>`;
}
