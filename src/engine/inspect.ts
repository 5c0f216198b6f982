import { tensor, type Tensor } from './tensor';

/**
 * Feature maps [C, H, W] laid out as one grayscale picture of C tiles, in rows of `columns`, with a gap of
 * background between them. All tiles share one colour scale (the global min → 0, max → 1), so that a dim channel
 * looks dim instead of being stretched to full contrast.
 */
export function tileChannels(
  maps: Tensor,
  options: { columns?: number; gap?: number } = {},
): { image: Tensor; min: number; max: number } {
  const [c, h, w] = maps.shape.length === 4 ? maps.shape.slice(1) : maps.shape;
  if (c === undefined || h === undefined || w === undefined)
    throw new Error(`tileChannels: expected [C, H, W] maps, got [${maps.shape.join('×')}]`);
  const columns = options.columns ?? Math.ceil(Math.sqrt(c));
  const rows = Math.ceil(c / columns);
  const gap = options.gap ?? 1;
  let min = Infinity;
  let max = -Infinity;
  const n = c * h * w;
  for (let i = 0; i < n; i++) {
    min = Math.min(min, maps.data[i]);
    max = Math.max(max, maps.data[i]);
  }
  const span = max > min ? max - min : 1;
  const gh = rows * h + (rows - 1) * gap;
  const gw = columns * w + (columns - 1) * gap;
  const image = tensor([1, gh, gw], new Float32Array(gh * gw).fill(1));
  for (let k = 0; k < c; k++) {
    const top = Math.floor(k / columns) * (h + gap);
    const left = (k % columns) * (w + gap);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) image.data[(top + y) * gw + left + x] = (maps.data[(k * h + y) * w + x] - min) / span;
    }
  }
  return { image, min, max };
}
