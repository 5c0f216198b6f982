import { sharp } from './vips';
import { Rng } from '../../engine/rng';
import { tensor, type Tensor } from '../../engine/tensor';
import { augment, type AugmentOptions } from './augment';

/** Options of `augmentationPreview`. */
export interface PreviewOptions {
  /** Augmented copies per image, beside the original. Default 7. */
  readonly copies?: number;
  /** Seed of the augmentation draws. Default 1. */
  readonly seed?: number;
  /** Pixels of white between tiles. Default 2. */
  readonly gap?: number;
}

/**
 * A grid for the Data view: one row per image of x [N, C, H, W] (values in [0, 1]), its original first, then
 * `copies` seeded augmentations of it. Returns [C, rows, columns] in [0, 1]; `encodePng` makes it a PNG.
 */
export function augmentationPreview(x: Tensor, options: AugmentOptions, preview: PreviewOptions = {}): Tensor {
  const [n, c, h, w] = x.shape;
  const copies = preview.copies ?? 7;
  const gap = preview.gap ?? 2;
  // Repeat every image `copies` times, augment them all in one call, then lay the tiles out.
  const per = c * h * w;
  const repeated = tensor([n * copies, c, h, w]);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < copies; k++) repeated.data.set(x.data.subarray(i * per, (i + 1) * per), (i * copies + k) * per);
  }
  const augmented = augment(repeated, options, new Rng(preview.seed ?? 1));
  const cols = copies + 1;
  const gh = n * h + (n - 1) * gap;
  const gw = cols * w + (cols - 1) * gap;
  const grid = tensor([c, gh, gw], new Float32Array(c * gh * gw).fill(1));
  for (let i = 0; i < n; i++) {
    for (let col = 0; col < cols; col++) {
      const src = col === 0 ? x.data.subarray(i * per) : augmented.data.subarray((i * copies + col - 1) * per);
      for (let ch = 0; ch < c; ch++) {
        for (let y = 0; y < h; y++) {
          const from = ch * h * w + y * w;
          const to = ch * gh * gw + (i * (h + gap) + y) * gw + col * (w + gap);
          grid.data.set(src.subarray(from, from + w), to);
        }
      }
    }
  }
  return grid;
}

/** A [C, H, W] image with values in [0, 1] (C = 1 or 3) as PNG bytes. Values outside [0, 1] are clipped. */
export async function encodePng(image: Tensor): Promise<Buffer> {
  const [c, h, w] = image.shape;
  if (c !== 1 && c !== 3) throw new RangeError(`encodePng: expected 1 or 3 channels, got ${c}`);
  // CHW planes to HWC interleaved bytes, as sharp's raw input expects.
  const hwc = Buffer.alloc(h * w * c);
  for (let p = 0; p < h * w; p++) {
    for (let ch = 0; ch < c; ch++) {
      hwc[p * c + ch] = Math.round(Math.min(1, Math.max(0, image.data[ch * h * w + p])) * 255);
    }
  }
  return sharp(hwc, { raw: { width: w, height: h, channels: c } })
    .png()
    .toBuffer();
}
