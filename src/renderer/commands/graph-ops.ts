import { getLayer, type LayerDef } from '../../engine';
import type { Graph, GraphEdge, GraphNode, ParamValue } from '../../shared/graph';
import { CommandError, type Point } from './types';

/** Small pure helpers shared by the edit commands. None of them mutates its arguments. */

/** The grid nodes snap to, in graph units. */
export const GRID = 20;
/** Distance between the left edges of two layers one after the other (auto-layout, append). */
export const COLUMN = 200;
/** Distance between the tops of two layers side by side in one column. */
export const ROW = 100;

/** Rounds a position to the grid. */
export function snap(p: Point, grid = GRID): Point {
  return { x: Math.round(p.x / grid) * grid, y: Math.round(p.y / grid) * grid };
}

/** Edges have no id of their own; this names one for selection and lookup. */
export function edgeKey(e: GraphEdge): string {
  return `${e.from.node}:${e.from.port}>${e.to.node}:${e.to.port}`;
}

/** A node as a message names it: `'conv1' (Conv2D)`, or `'my conv' (Conv2D, conv1)` when renamed. */
export function describeNode(n: GraphNode): string {
  const label = getLayer(n.type)?.label ?? n.type;
  return n.name && n.name !== n.id ? `'${n.name}' (${label}, ${n.id})` : `'${n.id}' (${label})`;
}

export function findNode(graph: Graph, id: string): GraphNode {
  const n = graph.nodes.find((m) => m.id === id);
  if (!n) throw new CommandError(`there is no node '${id}'`);
  return n;
}

export function layerOf(type: string): LayerDef {
  const def = getLayer(type);
  if (!def) throw new CommandError(`unknown layer type '${type}'`);
  return def;
}

/** Every parameter at its default, so that a saved graph says what it means even if a default changes later. */
export function defaultParams(def: LayerDef): Record<string, ParamValue> {
  return Object.fromEntries(Object.entries(def.params).map(([k, spec]) => [k, spec.default]));
}

/** A fresh id such as `conv2d_3`: the layer type and the smallest number not yet taken. */
export function uniqueId(taken: ReadonlySet<string>, type: string): string {
  for (let i = 1; ; i++) {
    const id = `${type}_${i}`;
    if (!taken.has(id)) return id;
  }
}

/** The nodes reachable from `start` by following edges forward (start included). */
export function downstream(graph: Graph, start: string): Set<string> {
  return walk(graph, start, (e) => [e.from.node, e.to.node]);
}

/** The nodes that feed `start`, directly or not (start included). */
export function upstream(graph: Graph, start: string): Set<string> {
  return walk(graph, start, (e) => [e.to.node, e.from.node]);
}

function walk(graph: Graph, start: string, dir: (e: GraphEdge) => [string, string]): Set<string> {
  const next = new Map<string, string[]>();
  for (const e of graph.edges) {
    const [a, b] = dir(e);
    next.set(a, [...(next.get(a) ?? []), b]);
  }
  const seen = new Set([start]);
  const stack = [start];
  while (stack.length) {
    for (const m of next.get(stack.pop()!) ?? []) {
      if (!seen.has(m)) {
        seen.add(m);
        stack.push(m);
      }
    }
  }
  return seen;
}

/**
 * Renumbers the input ports of the given nodes to 0, 1, 2 … in their current order. After an edge into
 * port 0 of an Add is removed, its port 1 becomes port 0, because the engine wants ports filled without gaps.
 */
export function compactPorts(edges: readonly GraphEdge[], targets: ReadonlySet<string>): GraphEdge[] {
  const byTarget = new Map<string, GraphEdge[]>();
  for (const e of edges) {
    if (targets.has(e.to.node)) byTarget.set(e.to.node, [...(byTarget.get(e.to.node) ?? []), e]);
  }
  const renumbered = new Map<GraphEdge, number>();
  for (const list of byTarget.values()) {
    [...list].sort((a, b) => a.to.port - b.to.port).forEach((e, i) => renumbered.set(e, i));
  }
  return edges.map((e) => {
    const port = renumbered.get(e);
    return port === undefined || port === e.to.port ? e : { from: e.from, to: { node: e.to.node, port } };
  });
}

/** The graph with some nodes replaced (same ids); untouched nodes keep their identity, so views skip them. */
export function replaceNodes(graph: Graph, changed: ReadonlyMap<string, GraphNode>): Graph {
  if (changed.size === 0) return graph;
  return { ...graph, nodes: graph.nodes.map((n) => changed.get(n.id) ?? n) };
}

/** Whether a value is a finite point (guards positions that come from pointer arithmetic). */
export function isFinitePoint(p: Point): boolean {
  return Number.isFinite(p.x) && Number.isFinite(p.y);
}
