import type { GraphEdge, GraphNode } from '../../shared/graph';
import { COLUMN, ROW, defaultParams, describeNode, downstream, findNode, layerOf, uniqueId } from './graph-ops';
import { defineEdit } from './registry';
import { CommandError, type Point } from './types';

export interface AppendNodeArgs {
  type: string;
  /** The node the new layer follows. */
  after: string;
}

/** Whether a node already sits about where another would go (closer than most of a column or row). */
function occupied(nodes: readonly GraphNode[], p: Point): boolean {
  return nodes.some((n) => Math.abs(n.position.x - p.x) < COLUMN * 0.8 && Math.abs(n.position.y - p.y) < ROW * 0.8);
}

/**
 * Adds a layer right after another and wires it in: `after → new → (whatever after fed before)`.
 * This is what double-clicking a palette entry does, so a chain can be built from the palette alone.
 * The nodes downstream move one column to the right to make room.
 */
export default defineEdit<AppendNodeArgs>({
  name: 'graph.appendNode',
  label: 'Add layer after the selection',
  group: 'Edit',
  perform(graph, { type, after }) {
    const def = layerOf(type);
    const prev = findNode(graph, after);
    if (def.arity[1] === 0) {
      throw new CommandError(`a ${def.label} layer takes no input, so it cannot follow ${describeNode(prev)}`);
    }
    const id = uniqueId(new Set(graph.nodes.map((n) => n.id)), type);

    const moved = downstream(graph, after);
    moved.delete(after);
    const nodes = graph.nodes.map((n) =>
      moved.has(n.id) ? { ...n, position: { x: n.position.x + COLUMN, y: n.position.y } } : n,
    );
    // Next to its predecessor; if another branch is already there, go down a row until the spot is free.
    const position = { x: prev.position.x + COLUMN, y: prev.position.y };
    while (occupied(nodes, position)) position.y += ROW;

    // The new node takes over what `after` fed, so inserting into the middle of a chain keeps it a chain.
    const edges: GraphEdge[] = graph.edges.map((e) =>
      e.from.node === after ? { from: { node: id, port: 0 }, to: e.to } : e,
    );
    edges.push({ from: { node: after, port: 0 }, to: { node: id, port: 0 } });

    const node: GraphNode = { id, type, params: defaultParams(def), position };
    return { graph: { ...graph, nodes: [...nodes, node], edges }, select: { nodes: [id], edges: [] } };
  },
});
