import { formatShape } from '../format';
import type { GraphMetrics } from '../metrics';
import type { Gesture } from './gestures';
import type { Hit, Scene } from './scene';

/** A line of text beside the pointer. */
export interface Tooltip {
  text: string;
  /** Shown as an error (a refusal, a node's problem) rather than as information. */
  error: boolean;
}

/**
 * What the canvas says beside the pointer: while a wire is drawn, why the port under it would refuse it;
 * otherwise, over a node in error, the engine's message, or over a node with a notice, the notice; over an edge,
 * the tensor shape it carries.
 */
export function tooltipFor(gesture: Gesture, hover: Hit, scene: Scene, metrics: GraphMetrics): Tooltip | null {
  if (gesture.kind === 'wire') return gesture.problem ? { text: gesture.problem, error: true } : null;
  if (gesture.kind !== 'idle') return null;
  if (hover.kind === 'node' || hover.kind === 'port') {
    const m = metrics.nodes.get(hover.id);
    if (m?.error) return { text: m.error, error: true };
    // A notice (rows a window leaves unread) is information: the node is valid.
    return m?.notice ? { text: m.notice, error: false } : null;
  }
  if (hover.kind === 'edge') {
    const e = scene.edges.find((x) => x.key === hover.key);
    const shape = e && metrics.nodes.get(e.edge.from.node)?.shape;
    return shape ? { text: `carries ${formatShape(shape)} per example`, error: false } : null;
  }
  return null;
}
