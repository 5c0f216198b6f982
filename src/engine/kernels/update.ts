/**
 * The loops of a training step's update, after backward: summing the workers' gradients, checking for NaN and ±∞,
 * and the optimizers' rules (optim/). These are the reference kernels; the WebAssembly backend runs the same
 * arithmetic in SIMD. Over LeNet-5's 61K parameters these plain loops took a tenth of a step.
 *
 * The rules compute in float64, as JavaScript does, and round to float32 only where a value is stored (a slot, a
 * weight), so the WebAssembly backend, which does the same in f64x2, moves the weights to the same bits.
 */

/** Adam's constants for one step: β1, β2, ε, and the bias corrections c1 = 1 − β1^t and c2 = 1 − β2^t. */
export interface AdamStep {
  beta1: number;
  beta2: number;
  epsilon: number;
  c1: number;
  c2: number;
}

/** out = parts[0] + parts[1] + … in that order (float32 sums); returns whether every sum is finite. */
export function sumParts(parts: readonly Float32Array[], out: Float32Array): boolean {
  if (parts.length === 0) throw new Error('sumParts: no parts to add');
  out.set(parts[0].subarray(0, out.length));
  for (let p = 1; p < parts.length; p++) {
    const part = parts[p];
    for (let i = 0; i < out.length; i++) out[i] += part[i];
  }
  return allFinite(out);
}

/** True when `a` holds no NaN or infinity: x · 0 is 0 for every finite x and NaN otherwise. */
export function allFinite(a: Float32Array): boolean {
  let probe = 0;
  for (let i = 0; i < a.length; i++) probe += a[i] * 0;
  return probe === 0;
}

/** Gradient descent: w = w − lr · g. */
export function sgdUpdate(w: Float32Array, g: Float32Array, lr: number): void {
  for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
}

/** Momentum (PyTorch's form): v = μ·v + g, then w = w − lr · v. */
export function momentumUpdate(w: Float32Array, g: Float32Array, v: Float32Array, lr: number, mu: number): void {
  for (let i = 0; i < w.length; i++) {
    v[i] = mu * v[i] + g[i];
    w[i] -= lr * v[i];
  }
}

/** Adam: m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², w = w − lr·(m/c1) / (√(v/c2) + ε). */
export function adamUpdate(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  lr: number,
  s: AdamStep,
): void {
  const { beta1: b1, beta2: b2, epsilon: eps, c1, c2 } = s;
  for (let i = 0; i < w.length; i++) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    w[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
  }
}
