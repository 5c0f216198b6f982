import { getLayer } from '../../../engine';
import type { GraphNode } from '../../../shared/graph';
import { describeNode } from '../../commands/graph-ops';
import { formatCount, formatLarge, formatShape } from '../format';
import type { NodeMetrics } from '../metrics';
import { nodeSummary } from '../summary';

/** The lines a node shows, as plain strings: the canvas draws them and the end-to-end test reads them. */
export interface NodeText {
  title: string;
  name: string;
  summary: string;
  info: string;
  error: string | null;
}

/**
 * The engine's messages start with `node 'conv1' (Conv2D): `, which is right in a list of errors but
 * repeats what the node itself shows; the node's own line drops it.
 */
function shortError(node: GraphNode, message: string): string {
  const prefix = `node ${describeNode(node)}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

/** Exact up to 99,999 (what a student checks by hand), rounded beyond, so the line fits on the node. */
const paramCount = (n: number) => (n < 100_000 ? formatCount(n) : formatLarge(n));

export function nodeText(node: GraphNode, m: NodeMetrics | undefined): NodeText {
  const def = getLayer(node.type);
  const error = m?.error ?? null;
  let info = '…';
  if (error) info = `⚠ ${shortError(node, error)}`;
  else if (m?.shape) {
    info = m.params > 0 ? `${formatShape(m.shape)} · ${paramCount(m.params)} params` : formatShape(m.shape);
    // The output size was rounded down past unread rows; the tooltip and the inspector say how many.
    if (m.notice) info += ' · ⓘ floored';
  }
  return {
    title: def?.label ?? node.type,
    name: node.name ?? node.id,
    summary: nodeSummary(node),
    info,
    error,
  };
}
