import { NODE_FONT } from './geometry';

/**
 * The width of a node name in the canvas's bold font at a font size of 1, measured once per name with a 2D
 * canvas (what Konva measures with too), so that a long name can be drawn a little smaller to fit whole.
 */
const widths = new Map<string, number>();
let ctx: CanvasRenderingContext2D | null | undefined;

export function measureName(name: string): number {
  const known = widths.get(name);
  if (known !== undefined) return known;
  ctx ??= typeof document === 'undefined' ? null : document.createElement('canvas').getContext('2d');
  // Without a canvas (tests in a DOM without one), a wide average: names then shrink rather than overflow.
  let width = name.length * 0.62;
  if (ctx) {
    ctx.font = `bold 100px ${NODE_FONT}`;
    width = ctx.measureText(name).width / 100;
  }
  if (widths.size > 5000) widths.clear();
  widths.set(name, width);
  return width;
}
