import type { Graph, GraphEdge, GraphNode } from '../../shared/graph';
import { GRID, uniqueId } from './graph-ops';
import type { Clip, EditResult } from './types';

/** Small pure helpers behind Copy, Cut, Paste and Duplicate. */

/** The given nodes and the edges among them, as plain copies. */
export function clipOf(graph: Graph, ids: readonly string[]): Clip {
  const keep = new Set(ids);
  return structuredClone({
    nodes: graph.nodes.filter((n) => keep.has(n.id)),
    edges: graph.edges.filter((e) => keep.has(e.from.node) && keep.has(e.to.node)),
  });
}

/** How far a paste moves the copies from their originals, per step. */
export const PASTE_STEP = GRID * 2;

/**
 * Adds copies of a clip's nodes with fresh ids and the same wiring among themselves. They land one step down
 * and right of the originals, or further if earlier pastes already sit there, so that none hides another.
 */
export function pasteClip(graph: Graph, clip: Clip): EditResult {
  if (clip.nodes.length === 0) return { graph };
  const occupied = new Set(graph.nodes.map((n) => `${n.position.x},${n.position.y}`));
  let step = 1;
  while (
    clip.nodes.some((n) => occupied.has(`${n.position.x + step * PASTE_STEP},${n.position.y + step * PASTE_STEP}`))
  )
    step++;
  const offset = step * PASTE_STEP;

  const taken = new Set(graph.nodes.map((n) => n.id));
  const names = new Set(graph.nodes.map((n) => n.name).filter(Boolean));
  const newId = new Map<string, string>();
  const nodes: GraphNode[] = clip.nodes.map((n) => {
    const id = uniqueId(taken, n.type);
    taken.add(id);
    newId.set(n.id, id);
    // A copy keeps its name only if no other node has it, so that two nodes are never called the same.
    const { name, ...rest } = structuredClone(n);
    const copy: GraphNode = { ...rest, id, position: { x: n.position.x + offset, y: n.position.y + offset } };
    return name && !names.has(name) ? { ...copy, name } : copy;
  });
  const edges: GraphEdge[] = clip.edges.flatMap((e) => {
    const from = newId.get(e.from.node);
    const to = newId.get(e.to.node);
    return from && to ? [{ from: { node: from, port: e.from.port }, to: { node: to, port: e.to.port } }] : [];
  });
  return {
    graph: { ...graph, nodes: [...graph.nodes, ...nodes], edges: [...graph.edges, ...edges] },
    select: { nodes: nodes.map((n) => n.id), edges: [] },
  };
}
