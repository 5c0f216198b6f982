import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu'; // registers the plain-JavaScript 'cpu' backend
// tfjs-core defines the gradient functions but registers none (tf.grads would fail with "gradient function
// not found for Sum"); the union package registers all of them into tfjs-core's shared registry on import.
// It is loaded only for that side effect: every op below comes from tfjs-core, run on the CPU backend.
import '@tensorflow/tfjs';
import { expect } from 'vitest';
import { sizeOf, tensor, type Rng, type Shape, type Tensor } from '../../src/engine';

/**
 * TensorFlow.js as an oracle for the engine's layers and losses. tfjs is a dev dependency used only here:
 * the engine never imports it. Only functional ops are used (tf.conv2d(x, ...)), because tfjs-core alone
 * does not register the chained methods (x.conv2d(...)).
 */
export { tf };

/**
 * How close the engine must be to tfjs: |got − want| ≤ TOLERANCE · max(1, |want|),
 * i.e. absolute 1e-4 for values up to 1 in magnitude and relative 1e-4 above.
 */
export const TOLERANCE = 1e-4;

/** Selects the CPU backend (float32, deterministic) and silences tfjs's "install tfjs-node" notice. */
export async function useTfjsCpu(): Promise<void> {
  // PROD only mutes tfjs's console warnings. (IS_TEST would too, but it also turns on a leak check that
  // tfjs's own softmaxCrossEntropy fails.)
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  await tf.ready();
}

/** A tensor of seeded standard-normal values times `scale`. */
export function randomNormal(rng: Rng, shape: Shape, scale = 1): Tensor {
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal() * scale;
  return t;
}

/** A tensor of seeded uniform values in [lo, hi). */
export function randomUniform(rng: Rng, shape: Shape, lo = -1, hi = 1): Tensor {
  const t = tensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(lo, hi);
  return t;
}

/** The same values and shape as a tfjs tensor (the layout is whatever the engine tensor uses). */
export function toTf(t: Tensor): tf.Tensor {
  return tf.tensor(t.data, [...t.shape], 'float32');
}

/** A tfjs result read back into plain arrays. */
export interface TfValues {
  shape: number[];
  data: Float32Array;
}

/**
 * Runs `fn` inside tf.tidy (so that its intermediate tensors are freed), reads every tensor it returns
 * back into plain arrays, then frees those too.
 */
export function readTf<K extends string>(fn: () => Record<K, tf.Tensor>): Record<K, TfValues> {
  const tensors = tf.tidy(fn);
  const out = {} as Record<K, TfValues>;
  for (const k of Object.keys(tensors) as K[]) {
    out[k] = { shape: tensors[k].shape, data: tensors[k].dataSync() as Float32Array };
  }
  tf.dispose(Object.values<tf.Tensor>(tensors));
  return out;
}

/** Where element i sits in a tensor of this shape, e.g. [1,0,2,3], for failure messages. */
function coordinates(shape: readonly number[], i: number): number[] {
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return at;
}

/** The largest |got − want| / max(1, |want|) over all elements, with where it happens. */
export function worstError(got: Float32Array, want: Float32Array): { error: number; index: number } {
  let error = 0;
  let index = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    // `!(e <= error)` also catches NaN, which a plain '>' would let through.
    if (!(e <= error)) {
      error = e;
      index = i;
    }
  }
  return { error, index };
}

/**
 * Asserts that the engine's values match tfjs's element by element within TOLERANCE, and that the shapes
 * agree. On failure the message names the quantity, the worst element's coordinates and both values.
 */
export function expectClose(what: string, got: Tensor, want: TfValues): void {
  expect(got.shape, `${what}: shape`).toEqual([...want.shape]);
  expect(got.data.length, `${what}: element count`).toBe(sizeOf(want.shape));
  const { error, index } = worstError(got.data, want.data);
  const where = index >= 0 ? `[${coordinates(want.shape, index).join(',')}]` : '-';
  expect(
    error,
    `${what}: worst error ${error.toExponential(2)} at ${where}: engine ${got.data[index]}, tfjs ${want.data[index]}`,
  ).toBeLessThanOrEqual(TOLERANCE);
}
