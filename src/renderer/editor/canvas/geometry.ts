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

/** The font every node's text uses. */
export const NODE_FONT = 'system-ui, -apple-system, "Segoe UI", sans-serif';

/**
 * At this zoom and above a node shows everything (name, type and settings, shape and parameters); below it
 * the details fade and only the name is drawn, larger, so that it stays readable at any zoom a graph is
 * opened at. 13 graph units at 0.8 is 10.4 screen pixels.
 */
export const DETAIL_SCALE = 0.8;

/** The name's font size at a zoom, in graph units (rounded, so that small zoom steps redraw no text). */
export function nameSize(scale: number): number {
  if (scale >= DETAIL_SCALE) return 13;
  // 12 screen pixels while that fits on the node; smaller only when zoomed out so far that nothing would.
  return Math.round(Math.min(34, Math.max(13, 12 / scale)) * 2) / 2;
}

/** The smallest the name may shrink to so that a long one fits: 10 screen pixels (never below in detail). */
export function nameFloor(scale: number): number {
  if (scale >= DETAIL_SCALE) return 13;
  return Math.min(nameSize(scale), Math.ceil((10 / scale) * 2) / 2);
}

/** Below this zoom no name can be drawn readable on a node (34 units would be under 10 pixels): none is drawn. */
export const NAME_MIN_SCALE = 0.3;

/**
 * The zoom names are laid out for (0: names are not drawn): 1 in full detail, else the zoom rounded down to a quarter-octave step
 * (about 16%), so that a zoom redraws the names only when it crosses a step, and a name is never drawn smaller
 * on screen than its layout intends.
 */
export function nameScaleFor(scale: number): number {
  if (scale >= DETAIL_SCALE) return 1;
  if (scale < NAME_MIN_SCALE) return 0;
  return 2 ** (Math.floor(Math.log2(scale) * 4) / 4);
}

/** How a node's name is drawn (graph units): its box, font size, and on how many lines. */
export interface NameLayout {
  x: number;
  y: number;
  width: number;
  fontSize: number;
  lines: 1 | 2;
}

/** Line height of a name drawn on two lines, in font sizes. */
export const NAME_LINE_HEIGHT = 1.05;
const half = (v: number) => Math.floor(v * 2) / 2;

/**
 * Where and how large a node's name is drawn at a zoom. In full detail it is the first line. Zoomed out it is
 * alone and centred, as large as nameSize allows; a long name is drawn smaller to fit (down to nameFloor), and
 * when even that is too wide, on two lines, broken between characters. `widthAt1` is the name's width at a
 * font size of 1 (see measureName).
 */
export function nameLayout(widthAt1: number, scale: number): NameLayout {
  if (scale >= DETAIL_SCALE) return { x: 14, y: 8, width: NODE_WIDTH - 24, fontSize: 13, lines: 1 };
  const width = NODE_WIDTH - 14;
  const largest = nameSize(scale);
  const one = Math.min(largest, half(width / widthAt1));
  if (one >= nameFloor(scale)) return { x: 10, y: (NODE_HEIGHT - one) / 2, width, fontSize: one, lines: 1 };
  // A break between characters wastes up to one character of the first line: 0.85 of two lines' width.
  const two = Math.min(largest, half((2 * width * 0.85) / widthAt1), half((NODE_HEIGHT - 4) / (2 * NAME_LINE_HEIGHT)));
  return { x: 10, y: (NODE_HEIGHT - 2 * two * NAME_LINE_HEIGHT) / 2, width, fontSize: two, lines: 2 };
}
