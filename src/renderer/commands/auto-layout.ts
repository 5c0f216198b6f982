import type { Graph, GraphNode } from '../../shared/graph';
import { COLUMN, ROW, replaceNodes, snap } from './graph-ops';
import { defineEdit } from './registry';
import type { Point } from './types';

/**
 * Each node's column: the length of the longest path reaching it from a node without inputs, so that every
 * edge points to the right. Nodes on a cycle (which the engine refuses anyway) get a column after all others.
 */
function columns(graph: Graph): Map<string, number> {
  const preds = new Map<string, string[]>(graph.nodes.map((n) => [n.id, []]));
  const succs = new Map<string, string[]>(graph.nodes.map((n) => [n.id, []]));
  for (const e of graph.edges) {
    preds.get(e.to.node)?.push(e.from.node);
    succs.get(e.from.node)?.push(e.to.node);
  }
  const waiting = new Map([...preds].map(([id, p]) => [id, p.length]));
  const depth = new Map<string, number>();
  const queue = graph.nodes.filter((n) => waiting.get(n.id) === 0).map((n) => n.id);
  for (const id of queue) depth.set(id, 0);
  while (queue.length) {
    const id = queue.shift()!;
    for (const s of succs.get(id)!) {
      depth.set(s, Math.max(depth.get(s) ?? 0, depth.get(id)! + 1));
      waiting.set(s, waiting.get(s)! - 1);
      if (waiting.get(s) === 0) queue.push(s);
    }
  }
  const last = Math.max(-1, ...[...waiting].filter(([, w]) => w === 0).map(([id]) => depth.get(id)!));
  for (const [id, w] of waiting) if (w > 0) depth.set(id, last + 1);
  return depth;
}

/** The layout: columns left to right by depth, each column's nodes ordered to keep edges from crossing. */
export function layoutPositions(graph: Graph): Map<string, Point> {
  const depth = columns(graph);
  const byColumn: GraphNode[][] = [];
  for (const n of graph.nodes) (byColumn[depth.get(n.id)!] ??= []).push(n);

  // Within a column, a node goes near the average row of the nodes feeding it (the barycentre heuristic);
  // ties keep the user's top-to-bottom order.
  const row = new Map<string, number>();
  const preds = new Map<string, string[]>();
  for (const e of graph.edges) preds.set(e.to.node, [...(preds.get(e.to.node) ?? []), e.from.node]);
  const key = (n: GraphNode) => {
    const rows = (preds.get(n.id) ?? []).map((p) => row.get(p)).filter((r) => r !== undefined);
    return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Infinity;
  };
  for (const col of byColumn) {
    if (!col) continue;
    col.sort((a, b) => key(a) - key(b) || a.position.y - b.position.y || a.id.localeCompare(b.id));
    col.forEach((n, i) => row.set(n.id, i));
  }

  // The laid-out graph keeps its top-left corner where the old one was, so the view does not jump.
  const left = Math.min(...graph.nodes.map((n) => n.position.x));
  const top = Math.min(...graph.nodes.map((n) => n.position.y));
  const tallest = Math.max(...byColumn.map((c) => c?.length ?? 0));
  const middle = top + ((tallest - 1) / 2) * ROW;
  const out = new Map<string, Point>();
  byColumn.forEach((col, d) =>
    col?.forEach((n, i) => {
      out.set(n.id, snap({ x: left + d * COLUMN, y: middle + (i - (col.length - 1) / 2) * ROW }));
    }),
  );
  return out;
}

/** Lays the whole graph out left to right by depth. */
export default defineEdit<Record<string, never>>({
  name: 'arrange.autoLayout',
  label: 'Auto-layout (left to right)',
  group: 'Arrange',
  keys: ['L'],
  argsFrom: (ctx) => (ctx.graph.nodes.length ? {} : null),
  perform(graph) {
    if (graph.nodes.length === 0) return { graph };
    const changed = new Map<string, GraphNode>();
    for (const [id, p] of layoutPositions(graph)) {
      const n = graph.nodes.find((m) => m.id === id)!;
      if (n.position.x !== p.x || n.position.y !== p.y) changed.set(id, { ...n, position: p });
    }
    return { graph: replaceNodes(graph, changed) };
  },
});
