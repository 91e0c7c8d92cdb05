import { html, type SafeHtml } from './html.js';

export interface GraphNode {
  readonly id: string;
  readonly parents: readonly string[];
}

/** One row's drawing: segments in lane units, y from 0 (top) through 1 (node) to 2 (bottom). */
export interface GraphRow {
  readonly column: number;
  readonly width: number;
  readonly segments: readonly { x1: number; y1: 0 | 1; x2: number; y2: 1 | 2; lane: number }[];
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
    const segments: { x1: number; y1: 0 | 1; x2: number; y2: 1 | 2; lane: number }[] = [];
    let column = lanes.indexOf(node.id);
    if (column < 0) column = free();
    const before = [...lanes];
    for (let i = 0; i < before.length; i++) {
      if (before[i] === node.id) {
        segments.push({ x1: i, y1: 0, x2: column, y2: 1, lane: i });
        lanes[i] = null;
      }
    }
    const [first, ...rest] = node.parents;
    if (first !== undefined) {
      const j = lanes.indexOf(first);
      if (j >= 0) segments.push({ x1: column, y1: 1, x2: j, y2: 2, lane: j });
      else {
        lanes[column] = first;
        segments.push({ x1: column, y1: 1, x2: column, y2: 2, lane: column });
      }
    }
    for (const p of rest) {
      let j = lanes.indexOf(p);
      if (j < 0) {
        j = free();
        lanes[j] = p;
      }
      segments.push({ x1: column, y1: 1, x2: j, y2: 2, lane: j });
    }
    for (let i = 0; i < before.length; i++) {
      if (before[i] !== null && before[i] !== node.id && lanes[i] === before[i]) segments.push({ x1: i, y1: 0, x2: i, y2: 2, lane: i });
    }
    while (lanes.length > 0 && lanes[lanes.length - 1] === null) lanes.pop();
    const width = Math.max(column + 1, before.length, lanes.length, ...segments.map((s) => Math.max(s.x1, s.x2) + 1));
    rows.push({ column, width, segments });
  }
  return rows;
}

const LANE = 14;
const COLORS = 8;

/** One row's SVG cell (the rows of the log are of fixed height, so cells join into one graph). */
export function graphCell(row: GraphRow, maxWidth: number, options: { closed?: boolean } = {}): SafeHtml {
  const w = maxWidth * LANE + 4;
  const x = (lane: number): number => lane * LANE + LANE / 2 + 2;
  const y = (v: 0 | 1 | 2): number => v * 24;
  const paths = row.segments.map((s) => {
    const x1 = x(s.x1);
    const x2 = x(s.x2);
    const y1 = y(s.y1);
    const y2 = y(s.y2);
    const d = x1 === x2 ? `M${x1} ${y1}V${y2}` : `M${x1} ${y1}C${x1} ${(y1 + y2) / 2} ${x2} ${(y1 + y2) / 2} ${x2} ${y2}`;
    return html`<path class="g${s.lane % COLORS}" d="${d}"/>`;
  });
  const cx = x(row.column);
  return html`<svg class="graph" width="${w}" height="48" viewBox="0 0 ${w} 48" preserveAspectRatio="none" aria-hidden="true">${paths}<circle class="n${row.column % COLORS}${options.closed ? ' closed' : ''}" cx="${cx}" cy="24" r="4.5"/></svg>`;
}
