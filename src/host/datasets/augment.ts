import type { Rng } from '../../engine/rng';
import { tensor, type Tensor } from '../../engine/tensor';
import { DatasetError } from './errors';

/**
 * Random changes applied to training images, each drawn per image from the seeded generator. Values apply to
 * images scaled to [0, 1], before normalisation. An option left out (or 0/false) is off.
 */
export interface AugmentOptions {
  /** Mirror left-right with probability 1/2. */
  readonly flip?: boolean;
  /** Largest shift, as a fraction of the width and height (0 to 0.5); shifts are whole pixels. */
  readonly shift?: number;
  /** Largest rotation either way, in degrees (0 to 180). */
  readonly rotate?: number;
  /** Largest brightness change either way, added to every value (0 to 1). */
  readonly brightness?: number;
  /** Largest contrast change: values are scaled about the image's mean by a factor in [1 − c, 1 + c] (0 to 1). */
  readonly contrast?: number;
}

const RANGES: Record<Exclude<keyof AugmentOptions, 'flip'>, number> = {
  shift: 0.5,
  rotate: 180,
  brightness: 1,
  contrast: 1,
};

/** Throws a `DatasetError` naming the first option out of its range. */
export function checkAugmentOptions(options: AugmentOptions): void {
  for (const [key, max] of Object.entries(RANGES) as [keyof typeof RANGES, number][]) {
    const v = options[key];
    if (v !== undefined && !(v >= 0 && v <= max)) {
      throw new DatasetError(`Augmentation "${key}" must be between 0 and ${max}, got ${v}`);
    }
  }
}

/** True when the options change anything. */
export function augments(o: AugmentOptions): boolean {
  return !!(o.flip || o.shift || o.rotate || o.brightness || o.contrast);
}

/**
 * Returns an augmented copy of a batch x [N, C, H, W], written into `into` when given (as long as x's data, a
 * recycled buffer: see spare.ts). Each image draws its own flip, shift, rotation, brightness and contrast, always
 * in that order, so the same generator state gives the same batch.
 */
export function augment(x: Tensor, options: AugmentOptions, rng: Rng, into?: Float32Array): Tensor {
  checkAugmentOptions(options);
  const [n, c, h, w] = x.shape;
  if (into && into.length !== x.data.length) {
    throw new Error(`augment: the output buffer has ${into.length} values, the batch ${x.data.length}`);
  }
  if (into) into.set(x.data);
  const out = tensor(x.shape, into ?? new Float32Array(x.data));
  const plane = h * w;
  for (let i = 0; i < n; i++) {
    const flip = options.flip ? rng.next() < 0.5 : false;
    const dx = options.shift ? Math.round(rng.uniform(-options.shift, options.shift) * w) : 0;
    const dy = options.shift ? Math.round(rng.uniform(-options.shift, options.shift) * h) : 0;
    const angle = options.rotate ? (rng.uniform(-options.rotate, options.rotate) * Math.PI) / 180 : 0;
    const brightness = options.brightness ? rng.uniform(-options.brightness, options.brightness) : 0;
    const contrast = options.contrast ? rng.uniform(1 - options.contrast, 1 + options.contrast) : 1;
    for (let ch = 0; ch < c; ch++) {
      const at = (i * c + ch) * plane;
      const src = x.data.subarray(at, at + plane);
      const dst = out.data.subarray(at, at + plane);
      if (flip || dx || dy || angle) warp(src, dst, h, w, flip, dx, dy, angle);
      if (brightness || contrast !== 1) adjust(dst, brightness, contrast);
    }
  }
  return out;
}

/**
 * For each output pixel, finds where it came from (undo the shift, undo the rotation about the centre, undo the
 * flip) and samples there bilinearly. Points outside the image take the nearest edge pixel. With no rotation the
 * source points are whole pixels and the values are copied exactly.
 */
function warp(
  src: Float32Array,
  dst: Float32Array,
  h: number,
  w: number,
  flip: boolean,
  dx: number,
  dy: number,
  angle: number,
): void {
  if (angle === 0) {
    // Flips and whole-pixel shifts only, the common case: the same values the general path copies, without its
    // per-pixel arithmetic (a batch of 64 28×28 images in 0.29 ms instead of 0.94, on the thread feeding the workers).
    for (let y = 0; y < h; y++) {
      const row = Math.min(h - 1, Math.max(0, y - dy)) * w;
      for (let x = 0; x < w; x++) {
        const sx = flip ? w - 1 - (x - dx) : x - dx;
        dst[y * w + x] = src[row + Math.min(w - 1, Math.max(0, sx))];
      }
    }
    return;
  }
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const at = (y: number, x: number) => src[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = x - dx - cx;
      const v = y - dy - cy;
      let sx = cos * u + sin * v + cx;
      const sy = -sin * u + cos * v + cy;
      if (flip) sx = w - 1 - sx;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const top = at(y0, x0) * (1 - fx) + (fx ? at(y0, x0 + 1) * fx : 0);
      const bottom = fy ? at(y0 + 1, x0) * (1 - fx) + (fx ? at(y0 + 1, x0 + 1) * fx : 0) : 0;
      dst[y * w + x] = top * (1 - fy) + bottom * fy;
    }
  }
}

/** Contrast about the plane's mean, then brightness, then clipped back to [0, 1]. */
function adjust(plane: Float32Array, brightness: number, contrast: number): void {
  let sum = 0;
  for (const v of plane) sum += v;
  const mean = sum / plane.length;
  for (let p = 0; p < plane.length; p++) {
    plane[p] = Math.min(1, Math.max(0, (plane[p] - mean) * contrast + mean + brightness));
  }
}
