import { GRID } from '../../commands/graph-ops';
import type { Rect } from './geometry';

/**
 * The dotted grid, drawn by the stage as one rectangle filled with a pattern (a single fill, however many
 * dots), so that it slides and stretches with the rest of the drawing.
 */

/** The grid step shown at a zoom: every GRID units, or every second (fourth, …) dot when they would crowd. */
export function gridStep(scale: number): number {
  let step = GRID;
  while (step * scale < 10) step *= 2;
  return step;
}

/**
 * The Konva config of the grid rectangle for the area drawn at `scale`. The pattern tile is made at screen
 * resolution (so the dots stay one crisp pixel or two) and scaled back into graph units.
 */
export function gridConfig(area: Rect, scale: number, colour: string): Record<string, unknown> | null {
  const step = gridStep(scale);
  const px = Math.max(2, Math.round(step * scale));
  const tile = tileFor(px, Math.max(1, Math.min(scale, 2)), colour);
  if (!tile) return null;
  const x = Math.floor(area.x / step) * step;
  const y = Math.floor(area.y / step) * step;
  return {
    x,
    y,
    width: area.x + area.width - x,
    height: area.y + area.height - y,
    fillPatternImage: tile,
    fillPatternScale: { x: step / px, y: step / px },
    fillPatternRepeat: 'repeat',
    listening: false,
    perfectDrawEnabled: false,
  };
}

/** The last tile made, reused while the zoom and colours stay (a redraw while panning makes none). */
let cached: { key: string; tile: HTMLCanvasElement } | null = null;

/** A px×px tile with a dot of radius r on its corners. */
function tileFor(px: number, r: number, colour: string): HTMLCanvasElement | null {
  if (typeof document === 'undefined') return null;
  const key = `${px} ${r} ${colour}`;
  if (cached?.key === key) return cached.tile;
  const tile = document.createElement('canvas');
  tile.width = px;
  tile.height = px;
  const ctx = tile.getContext('2d');
  if (!ctx) return null;
  ctx.fillStyle = colour;
  // The dot sits on the tile's corners, and the rectangle starts on a multiple of the step, so that dots fall
  // on graph coordinates that are multiples of the step (where snapped nodes sit). Each tile holds a quarter
  // of the dot at each corner; four tiles meeting make one whole dot.
  ctx.beginPath();
  for (const [cx, cy] of [
    [0, 0],
    [px, 0],
    [0, px],
    [px, px],
  ]) {
    ctx.moveTo(cx + r, cy);
    ctx.arc(cx, cy, r, 0, Math.PI * 2);
  }
  ctx.fill();
  cached = { key, tile };
  return tile;
}
