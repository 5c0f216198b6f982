import type { Graph, GraphNode } from '../../shared/graph';
import { flowLayout } from '../../shared/layout';
import { replaceNodes } from './graph-ops';
import { defineEdit } from './registry';
import type { Point } from './types';

/** The layout (src/shared/layout.ts): left to right by depth, wrapped into rows when the network is long. */
export function layoutPositions(graph: Graph): Map<string, Point> {
  return flowLayout(graph);
}

/** Lays the whole graph out left to right by depth, in rows when it is long. */
export default defineEdit<Record<string, never>>({
  name: 'arrange.autoLayout',
  label: 'Auto-layout (left to right, in rows)',
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
