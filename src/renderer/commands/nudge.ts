import type { GraphNode } from '../../shared/graph';
import { GRID, findNode, replaceNodes } from './graph-ops';
import { defineEdit } from './registry';

export interface NudgeArgs {
  ids: readonly string[];
  dx: number;
  dy: number;
}

const STEPS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

/** Moves the selection one grid step per arrow key, five with Shift; a run of presses is one undo step. */
export default defineEdit<NudgeArgs>({
  name: 'arrange.nudge',
  label: 'Nudge the selection (Shift: 5 steps)',
  group: 'Arrange',
  keys: [
    'ArrowLeft',
    'ArrowRight',
    'ArrowUp',
    'ArrowDown',
    'Shift+ArrowLeft',
    'Shift+ArrowRight',
    'Shift+ArrowUp',
    'Shift+ArrowDown',
  ],
  shownKeys: ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'],
  argsFrom(ctx, chord) {
    const step = chord && STEPS[chord.key];
    if (!step || ctx.selection.nodes.length === 0) return null;
    const size = chord.shiftKey ? GRID * 5 : GRID;
    return { ids: ctx.selection.nodes, dx: step[0] * size, dy: step[1] * size };
  },
  coalesceKey: (args) => `nudge:${[...args.ids].sort().join(',')}`,
  perform(graph, { ids, dx, dy }) {
    if (dx === 0 && dy === 0) return { graph };
    const changed = new Map<string, GraphNode>();
    for (const id of ids) {
      const n = findNode(graph, id);
      changed.set(id, { ...n, position: { x: n.position.x + dx, y: n.position.y + dy } });
    }
    return { graph: replaceNodes(graph, changed) };
  },
});
