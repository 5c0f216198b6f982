import type { GraphNode } from '../../shared/graph';
import { findNode, isFinitePoint, replaceNodes } from './graph-ops';
import { defineEdit } from './registry';
import { CommandError, type Point } from './types';

export interface MoveNodesArgs {
  /** Where each node goes (its top-left corner), already snapped by the caller. */
  positions: Readonly<Record<string, Point>>;
  /**
   * The drag this move belongs to: every move of one drag shares it, so that the whole drag is one undo step.
   * Without it, each move is its own step.
   */
  gesture?: string;
}

/** Puts nodes at new positions; dragging on the canvas sends one of these per pointer move. */
export default defineEdit<MoveNodesArgs>({
  name: 'graph.moveNodes',
  label: 'Move',
  group: 'Arrange',
  coalesceKey: (args) => (args.gesture ? `move:${args.gesture}` : null),
  perform(graph, { positions }) {
    const changed = new Map<string, GraphNode>();
    for (const [id, p] of Object.entries(positions)) {
      const n = findNode(graph, id);
      if (!isFinitePoint(p)) throw new CommandError(`cannot move '${id}' to (${p.x}, ${p.y})`);
      if (n.position.x !== p.x || n.position.y !== p.y) changed.set(id, { ...n, position: { x: p.x, y: p.y } });
    }
    return { graph: replaceNodes(graph, changed) };
  },
});
