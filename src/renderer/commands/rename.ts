import type { GraphNode } from '../../shared/graph';
import { findNode, replaceNodes } from './graph-ops';
import { defineEdit } from './registry';
import { CommandError } from './types';

export interface RenameArgs {
  node: string;
  /** The new name, kept as typed; a blank one clears it, and the node is called by its id again. */
  name: string;
}

/** The longest name the graph format accepts. */
const MAX_NAME = 100;

/** Gives a node a name of the user's choosing (the id, used in weight names, does not change). */
export default defineEdit<RenameArgs>({
  name: 'graph.rename',
  label: 'Rename',
  group: 'Edit',
  coalesceKey: ({ node }) => `name:${node}`,
  perform(graph, { node, name }) {
    const n = findNode(graph, node);
    if (name.length > MAX_NAME) throw new CommandError(`a name has at most ${MAX_NAME} characters`);
    // Not trimmed: the inspector sends every keystroke, and trimming would eat the space being typed.
    const wanted = name.trim() ? name : '';
    if ((n.name ?? '') === wanted) return { graph };
    const { name: _old, ...rest } = n;
    const next: GraphNode = wanted ? { ...rest, name: wanted } : rest;
    return { graph: replaceNodes(graph, new Map([[node, next]])) };
  },
});
