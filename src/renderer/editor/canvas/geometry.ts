import type { LayerDef } from '../../../engine';
import type { Point } from '../../commands/types';

/** Where things are on a node, in graph units. Pure arithmetic, shared by the drawing and the hit tests. */

export const NODE_WIDTH = 172;
export const NODE_HEIGHT = 68;
export const PORT_RADIUS = 6;
/** A merge layer shows one free input port beyond those in use, up to this many. */
const MAX_SHOWN_PORTS = 8;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How many input ports a node shows: none for Input, its maximum for fixed layers, one spare for merges. */
export function inputPortCount(def: LayerDef | undefined, connected: number): number {
  if (!def) return Math.max(1, connected);
  const [, max] = def.arity;
  if (Number.isFinite(max)) return max;
  return Math.min(Math.max(connected + 1, def.arity[0]), MAX_SHOWN_PORTS);
}

/** Input ports sit on the left edge, spread evenly. */
export function inputPortAt(position: Point, index: number, count: number): Point {
  return { x: position.x, y: position.y + (NODE_HEIGHT * (index + 1)) / (count + 1) };
}

/** The one output port sits in the middle of the right edge. */
export function outputPortAt(position: Point): Point {
  return { x: position.x + NODE_WIDTH, y: position.y + NODE_HEIGHT / 2 };
}

/**
 * An edge as a cubic Bézier leaving and entering horizontally: [x0, y0, c1x, c1y, c2x, c2y, x1, y1].
 * It stops at the rim of the input port, so that its arrowhead is not hidden under the port.
 */
export function edgeCurve(a: Point, b: Point): number[] {
  const end = { x: b.x - PORT_RADIUS, y: b.y };
  const bend = Math.max(40, Math.abs(end.x - a.x) / 2);
  return [a.x, a.y, a.x + bend, a.y, end.x - bend, end.y, end.x, end.y];
}

/** The smallest rectangle holding every node; null for an empty graph. */
export function boundsOf(positions: readonly Point[]): Rect | null {
  if (positions.length === 0) return null;
  const xs = positions.map((p) => p.x);
  const ys = positions.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) + NODE_WIDTH - x, height: Math.max(...ys) + NODE_HEIGHT - y };
}

/** The rectangle between two corners given in any order (a rubber band). */
export function rectBetween(a: Point, b: Point): Rect {
  return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y) };
}

/** Whether a node at `position` overlaps the rectangle (touching is enough for a rubber band). */
export function nodeTouches(position: Point, r: Rect): boolean {
  return (
    position.x <= r.x + r.width &&
    position.x + NODE_WIDTH >= r.x &&
    position.y <= r.y + r.height &&
    position.y + NODE_HEIGHT >= r.y
  );
}
