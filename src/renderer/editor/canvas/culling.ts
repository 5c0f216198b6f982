import type { Rect } from './geometry';
import { NODE_HEIGHT, NODE_WIDTH } from './geometry';
import type { Scene } from './scene';
import { toGraph, type Viewport } from './viewport';

/**
 * Below DETAIL_SCALE node details would be a few pixels high: only the name is drawn (no ports, no other
 * lines), which also keeps frames with hundreds of nodes in view cheap.
 */
export { DETAIL_SCALE } from './geometry';

/**
 * How far beyond each edge of the view, in screen pixels, the canvas is drawn. A pan of less than half of it
 * only slides the drawn canvas (a CSS transform, no redraw); a longer one redraws it centred on the new view.
 */
export const OVERSCAN = 200;

/**
 * How far a zoom may stretch the drawn canvas before it is redrawn even in the middle of a zoom: beyond these,
 * text gets too blurry (zooming in) or the canvas no longer covers the view (zooming out).
 */
export const STRETCH = { min: 0.7, max: 1.5 };

/**
 * When the drawn canvas must be redrawn for a new view: 'keep' while the view has only panned by less than half
 * the overscan (the drawn canvas slides); 'soon' for a zoom that stretches it by no more than STRETCH (it is
 * redrawn sharp once the zoom pauses; see use-drawn-view.ts); 'now' for a longer pan or a larger stretch.
 */
export function redrawFor(drawn: Viewport, view: Viewport): 'keep' | 'now' | 'soon' {
  if (drawn.scale !== view.scale) {
    const k = view.scale / drawn.scale;
    return k < STRETCH.min || k > STRETCH.max ? 'now' : 'soon';
  }
  return Math.abs(view.x - drawn.x) <= OVERSCAN / 2 && Math.abs(view.y - drawn.y) <= OVERSCAN / 2 ? 'keep' : 'now';
}

/**
 * The CSS transform that shows a canvas drawn at `drawn` (and placed OVERSCAN pixels up and left of the view)
 * as if it had been drawn at `view`: a graph point g is drawn at g·d.scale + d.x + OVERSCAN inside the canvas,
 * and must appear at g·v.scale + v.x in the view. With k = v.scale / d.scale and the transform's origin at the
 * canvas's corner, that is a scale by k after a shift of v.x + OVERSCAN − k·(d.x + OVERSCAN).
 */
export function slideTransform(drawn: Viewport, view: Viewport): string {
  const k = view.scale / drawn.scale;
  const tx = view.x + OVERSCAN - k * (drawn.x + OVERSCAN);
  const ty = view.y + OVERSCAN - k * (drawn.y + OVERSCAN);
  return k === 1 ? `translate3d(${tx}px, ${ty}px, 0)` : `translate3d(${tx}px, ${ty}px, 0) scale(${k})`;
}

/** The part of the graph the drawn canvas covers (the view and its overscan), in graph units. */
export function drawnArea(vp: Viewport, size: { width: number; height: number }): Rect {
  const a = toGraph(vp, { x: -OVERSCAN, y: -OVERSCAN });
  const b = toGraph(vp, { x: size.width + OVERSCAN, y: size.height + OVERSCAN });
  return { x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y };
}

const overlaps = (r: Rect, x0: number, y0: number, x1: number, y1: number) =>
  x1 >= r.x && x0 <= r.x + r.width && y1 >= r.y && y0 <= r.y + r.height;

/**
 * Which nodes and edges lie in the drawn area: the rest are hidden, so Konva skips them. They stay mounted
 * (hiding is a flag; building Konva shapes again is what costs), and the answer is the same Set object while
 * it does not change, so that Vue, comparing, updates nothing until something enters or leaves the area.
 */
export class Culler {
  private last = new Set<string>();

  visibleIn(scene: Scene, area: Rect): ReadonlySet<string> {
    const next = new Set<string>();
    for (const n of scene.nodes) {
      const p = n.node.position;
      if (overlaps(area, p.x, p.y, p.x + NODE_WIDTH, p.y + NODE_HEIGHT)) next.add(n.node.id);
    }
    for (const e of scene.edges) {
      // A Bézier stays within the box of its four control points.
      const c = e.curve;
      const x0 = Math.min(c[0], c[2], c[4], c[6]);
      const x1 = Math.max(c[0], c[2], c[4], c[6]);
      const y0 = Math.min(c[1], c[3], c[5], c[7]);
      const y1 = Math.max(c[1], c[3], c[5], c[7]);
      if (overlaps(area, x0, y0, x1, y1)) next.add(e.key);
    }
    if (next.size !== this.last.size || [...next].some((id) => !this.last.has(id))) this.last = next;
    return this.last;
  }
}
