import type { GraphNode, ParamValue } from '../../shared/graph';
import { defaultParams, isFinitePoint, layerOf, snap, uniqueId } from './graph-ops';
import { defineEdit } from './registry';
import { CommandError, type Point } from './types';

export interface AddNodeArgs {
  /** A layer type from the engine's registry. */
  type: string;
  /** Where the node's top-left corner goes, in graph coordinates; it is snapped to the grid. */
  position: Point;
  /** Values that differ from the defaults. */
  params?: Record<string, ParamValue>;
}

/** Adds a layer, not wired, where it was dropped; the new node becomes the selection. */
export default defineEdit<AddNodeArgs>({
  name: 'graph.addNode',
  label: 'Add layer',
  group: 'Edit',
  perform(graph, { type, position, params }) {
    const def = layerOf(type);
    if (!isFinitePoint(position))
      throw new CommandError(`cannot place a ${def.label} at (${position.x}, ${position.y})`);
    const id = uniqueId(new Set(graph.nodes.map((n) => n.id)), type);
    const node: GraphNode = { id, type, params: { ...defaultParams(def), ...params }, position: snap(position) };
    return { graph: { ...graph, nodes: [...graph.nodes, node] }, select: { nodes: [id], edges: [] } };
  },
});
