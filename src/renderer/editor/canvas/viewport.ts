import type { Point } from '../../commands/types';
import type { Rect } from './geometry';

/**
 * How graph coordinates map to the canvas: screen = graph × scale + (x, y).
 * Panning changes x and y, zooming changes all three; the graph itself never moves.
 */
export interface Viewport {
  x: number;
  y: number;
  scale: number;
}

export const MIN_SCALE = 0.1;
export const MAX_SCALE = 4;

const clampScale = (s: number) => Math.min(MAX_SCALE, Math.max(MIN_SCALE, s));

export function toGraph(vp: Viewport, screen: Point): Point {
  return { x: (screen.x - vp.x) / vp.scale, y: (screen.y - vp.y) / vp.scale };
}

export function toScreen(vp: Viewport, graph: Point): Point {
  return { x: graph.x * vp.scale + vp.x, y: graph.y * vp.scale + vp.y };
}

/** Zooms by `factor` keeping the graph point under `screen` where it is (the wheel zooms about the pointer). */
export function zoomAt(vp: Viewport, screen: Point, factor: number): Viewport {
  const scale = clampScale(vp.scale * factor);
  const g = toGraph(vp, screen);
  return { scale, x: screen.x - g.x * scale, y: screen.y - g.y * scale };
}

/** The wheel's zoom factor: smooth for trackpads (small deltas), one ~10% step per mouse notch. */
export function wheelFactor(deltaY: number): number {
  return Math.pow(1.1, -Math.max(-10, Math.min(10, deltaY / 100)));
}

/**
 * The viewport showing `bounds` whole and centred in a canvas of `size`, with `margin` pixels around it,
 * never zoomed in beyond 1 (a small graph stays at its natural size).
 * With `minScale`, the zoom stays at least that (so text stays legible); a graph too big for it is then shown
 * from its left end (where the input is), centred vertically.
 */
export function fitTo(
  bounds: Rect,
  size: { width: number; height: number },
  { margin = 40, minScale = MIN_SCALE }: { margin?: number; minScale?: number } = {},
): Viewport {
  const sx = (size.width - 2 * margin) / Math.max(bounds.width, 1);
  const sy = (size.height - 2 * margin) / Math.max(bounds.height, 1);
  const whole = Math.min(1, sx, sy);
  const scale = clampScale(Math.max(whole, Math.min(minScale, 1)));
  const y = size.height / 2 - (bounds.y + bounds.height / 2) * scale;
  if (scale > whole && bounds.width * scale > size.width - 2 * margin) {
    return { scale, x: margin - bounds.x * scale, y };
  }
  return { scale, x: size.width / 2 - (bounds.x + bounds.width / 2) * scale, y };
}
