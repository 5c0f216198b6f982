import { sizeOf, tensor, type Shape, type Tensor } from '../../engine';
import type { Pixels } from './messages';

/** 8-bit images, values 0–255, laid out as a Tensor's data ([N, C, H, W]); the workers read them as value / 255. */
export interface ByteTensor {
  readonly shape: Shape;
  readonly data: Uint8Array;
}

/** What the pool accepts as inputs: float32 values, or 8-bit images. */
export type Inputs = Tensor | ByteTensor;

/**
 * Typed arrays over SharedArrayBuffers: posted to a worker they are shared, not copied, so every worker of a
 * pool reads one copy of a dataset and writes one copy of the weights.
 */
export function sharedFloats(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}

export function sharedInts(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * Int32Array.BYTES_PER_ELEMENT));
}

/**
 * A zeroed tensor in shared memory. Build a large dataset with it and a TrainingPool trains on it without
 * copying it at all; any other tensor is copied into shared memory once per call.
 */
export function sharedTensor(shape: Shape): Tensor {
  return tensor(shape, sharedFloats(sizeOf(shape)));
}

/** Zeroed 8-bit images in shared memory: a dataset of 60,000 28×28 images takes 47 MB instead of 188 MB. */
export function sharedByteTensor(shape: Shape): ByteTensor {
  return { shape: [...shape], data: new Uint8Array(new SharedArrayBuffer(sizeOf(shape))) };
}

export function isShared(a: Pixels | Int32Array): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

/** The array itself when it is already in shared memory, else a shared copy of it. */
export function shareFloats(a: Float32Array): Float32Array {
  if (isShared(a)) return a;
  const s = sharedFloats(a.length);
  s.set(a);
  return s;
}

export function sharePixels(a: Pixels): Pixels {
  if (a instanceof Float32Array) return shareFloats(a);
  if (isShared(a)) return a;
  const s = new Uint8Array(new SharedArrayBuffer(a.length));
  s.set(a);
  return s;
}

/** The values as float32, bytes divided by 255 (a copy unless they already are float32). */
export function floatsOf(a: Pixels): Float32Array {
  if (a instanceof Float32Array) return a;
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] / 255;
  return out;
}

export function shareInts(a: Int32Array): Int32Array {
  if (isShared(a)) return a;
  const s = sharedInts(a.length);
  s.set(a);
  return s;
}
