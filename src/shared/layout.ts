/**
 * Where each layer goes when a graph is laid out: by the canvas's auto-layout, and by imports that carry no
 * positions. Pure arithmetic over ids and edges, so the engine's importers and the renderer share it.
 *
 * Layers flow left to right by depth (the longest path from an input), branches stacked in their column; a
 * long network wraps into rows, like text, with as many columns per row as make the whole graph largest in a
 * landscape window. A 15-layer chain is then three readable rows instead of one row of unreadable boxes.
 */

export interface LayoutPoint {
  x: number;
  y: number;
}

/** A node's size on the canvas (graph units): kept in step with the renderer's canvas geometry. */
export const LAYOUT_NODE = { width: 172, height: 68 };
/** Left edge to left edge of two layers one after the other: the gap leaves edges long enough to click. */
export const LAYOUT_COLUMN = 240;
/** Top to top of two layers side by side in one column. */
export const LAYOUT_ROW = 100;
/** Extra space between two rows of a wrapped layout, for the edges that return to the left. */
const ROW_GAP = 60;
const GRID = 20;

/** The window the wrapping aims to fill (graph units at zoom 1): the canvas of a 1440×900 window, less margins. */
export const LAYOUT_TARGET = { width: 880, height: 720 };

export interface LayoutInput {
  nodes: readonly { id: string; position?: LayoutPoint }[];
  edges: readonly { from: { node: string }; to: { node: string } }[];
}

/**
 * Each node's column: the length of the longest path reaching it from a node without inputs, so that every
 * edge points forward. Nodes on a cycle (which the engine refuses anyway) get a column after all others.
 */
function depths(g: LayoutInput): Map<string, number> {
  const preds = new Map<string, number>(g.nodes.map((n) => [n.id, 0]));
  const succs = new Map<string, string[]>(g.nodes.map((n) => [n.id, []]));
  for (const e of g.edges) {
    if (!preds.has(e.to.node) || !succs.has(e.from.node)) continue;
    preds.set(e.to.node, preds.get(e.to.node)! + 1);
    succs.get(e.from.node)!.push(e.to.node);
  }
  const depth = new Map<string, number>();
  const queue = g.nodes.filter((n) => preds.get(n.id) === 0).map((n) => n.id);
  for (const id of queue) depth.set(id, 0);
  // An index, not shift(): shift is linear, which made large graphs quadratic.
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head]!;
    for (const s of succs.get(id)!) {
      depth.set(s, Math.max(depth.get(s) ?? 0, depth.get(id)! + 1));
      const left = preds.get(s)! - 1;
      preds.set(s, left);
      if (left === 0) queue.push(s);
    }
  }
  let last = -1;
  for (const id of queue) last = Math.max(last, depth.get(id)!);
  for (const n of g.nodes) if (preds.get(n.id)! > 0) depth.set(n.id, last + 1);
  return depth;
}

/** The zoom at which a wrapped layout's bounds fit the target window (at most 1). */
function fitScale(width: number, height: number, target: { width: number; height: number }): number {
  return Math.min(1, target.width / width, target.height / height);
}

/**
 * The layout's positions, keyed by node id. `origin` is where its top-left corner goes (by default the
 * graph's current top-left corner, so that the view does not jump).
 */
export function flowLayout(
  g: LayoutInput,
  o: { origin?: LayoutPoint; target?: { width: number; height: number } } = {},
): Map<string, LayoutPoint> {
  const out = new Map<string, LayoutPoint>();
  if (g.nodes.length === 0) return out;
  const target = o.target ?? LAYOUT_TARGET;
  const depth = depths(g);
  const byColumn: string[][] = [];
  for (const n of g.nodes) (byColumn[depth.get(n.id)!] ??= []).push(n.id);
  const columns = byColumn.map((c) => c ?? []);

  // Within a column, a node goes near the average row of the nodes feeding it (the barycentre heuristic);
  // ties keep the order the nodes had, top to bottom.
  const preds = new Map<string, string[]>();
  for (const e of g.edges) {
    const list = preds.get(e.to.node);
    if (list) list.push(e.from.node);
    else preds.set(e.to.node, [e.from.node]);
  }
  const given = new Map(g.nodes.map((n, i) => [n.id, n.position?.y ?? i]));
  const rank = new Map<string, number>();
  const key = (id: string) => {
    let sum = 0;
    let count = 0;
    for (const p of preds.get(id) ?? []) {
      const r = rank.get(p);
      if (r !== undefined) {
        sum += r;
        count++;
      }
    }
    return count ? sum / count : Infinity;
  };
  for (const col of columns) {
    const keys = new Map(col.map((id) => [id, key(id)]));
    col.sort((a, b) => keys.get(a)! - keys.get(b)! || given.get(a)! - given.get(b)! || a.localeCompare(b));
    col.forEach((id, i) => rank.set(id, i));
  }

  // How many columns per row: the count whose wrapped layout is largest in the target window (the fewest rows
  // among equals). Rows hold whole columns, so branches stay side by side within a row.
  const bandOf = (cols: string[][]) =>
    Math.max(...cols.map((c) => c.length)) * LAYOUT_ROW - (LAYOUT_ROW - LAYOUT_NODE.height);
  const wrapped = (perRow: number) => {
    const rows: string[][][] = [];
    for (let i = 0; i < columns.length; i += perRow) rows.push(columns.slice(i, i + perRow));
    const width = Math.min(perRow, columns.length) * LAYOUT_COLUMN - (LAYOUT_COLUMN - LAYOUT_NODE.width);
    const height = rows.reduce((h, r) => h + bandOf(r), 0) + (rows.length - 1) * (LAYOUT_ROW + ROW_GAP);
    return { rows, width, height };
  };
  // Only the counts that change the number of rows matter: about 2·√columns of them, so a 10,000-layer
  // graph is not laid out in quadratic time. Of the counts that show the graph nearly as large as the best
  // one, the widest (fewest rows) wins.
  const candidates = new Set<number>();
  for (let rows = 1; rows <= columns.length; rows++) candidates.add(Math.ceil(columns.length / rows));
  const options = [...candidates].map((perRow) => {
    const w = wrapped(perRow);
    return { ...w, perRow, scale: fitScale(w.width, w.height, target) };
  });
  const largest = Math.max(...options.map((c) => c.scale));
  const best = options.filter((c) => c.scale >= largest * 0.97).reduce((a, b) => (b.perRow > a.perRow ? b : a));

  const left = o.origin?.x ?? Math.min(...g.nodes.map((n) => n.position?.x ?? 0));
  const top = o.origin?.y ?? Math.min(...g.nodes.map((n) => n.position?.y ?? 0));
  const snap = (v: number) => Math.round(v / GRID) * GRID;
  let rowTop = top;
  for (const row of best.rows) {
    const band = bandOf(row);
    row.forEach((col, c) => {
      const first = rowTop + (band - (col.length * LAYOUT_ROW - (LAYOUT_ROW - LAYOUT_NODE.height))) / 2;
      col.forEach((id, i) => out.set(id, { x: snap(left + c * LAYOUT_COLUMN), y: snap(first + i * LAYOUT_ROW) }));
    });
    rowTop += band + LAYOUT_ROW + ROW_GAP;
  }
  return out;
}
