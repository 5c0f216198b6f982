import { compactPorts, edgeKey } from './graph-ops';
import { defineEdit } from './registry';
import { CommandError } from './types';

export interface DisconnectArgs {
  /** The edge's key (see edgeKey). */
  edge: string;
}

/** Removes one edge; a merge layer's remaining inputs are renumbered from port 0. */
export default defineEdit<DisconnectArgs>({
  name: 'graph.disconnect',
  label: 'Disconnect',
  group: 'Edit',
  perform(graph, { edge }) {
    const found = graph.edges.find((e) => edgeKey(e) === edge);
    if (!found) throw new CommandError(`there is no edge ${edge}`);
    const edges = compactPorts(
      graph.edges.filter((e) => e !== found),
      new Set([found.to.node]),
    );
    return { graph: { ...graph, edges }, select: { nodes: [], edges: [] } };
  },
});
