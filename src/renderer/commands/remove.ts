import { compactPorts, edgeKey } from './graph-ops';
import { defineEdit } from './registry';
import type { Selection } from './types';

/**
 * Deletes the selected nodes (with every edge touching them) and the selected edges. Merge layers that lose an
 * input have their remaining ports renumbered from 0, since the engine wants them filled without gaps.
 */
export default defineEdit<Selection>({
  name: 'edit.delete',
  label: 'Delete',
  group: 'Edit',
  keys: ['Delete', 'Backspace'],
  argsFrom: (ctx) => (ctx.selection.nodes.length || ctx.selection.edges.length ? ctx.selection : null),
  perform(graph, { nodes, edges }) {
    const gone = new Set(nodes);
    const cut = new Set(edges);
    const isRemoved = (e: (typeof graph.edges)[number]) =>
      gone.has(e.from.node) || gone.has(e.to.node) || cut.has(edgeKey(e));
    const lost = graph.edges.filter(isRemoved);
    if (lost.length === 0 && !graph.nodes.some((n) => gone.has(n.id))) return { graph };
    const touched = new Set(lost.map((e) => e.to.node).filter((id) => !gone.has(id)));
    return {
      graph: {
        ...graph,
        nodes: graph.nodes.filter((n) => !gone.has(n.id)),
        edges: compactPorts(
          graph.edges.filter((e) => !isRemoved(e)),
          touched,
        ),
      },
      select: { nodes: [], edges: [] },
    };
  },
});
