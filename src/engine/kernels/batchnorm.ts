import { reluBackward, reluForward } from './relu';
import type { NormGeometry } from './types';

/**
 * The reference batch-norm kernels: plain loops over one channel's plane at a time (no per-element callback), with
 * the per-channel sums in float64 so that they match however a faster backend splits them.
 */

export function batchNormForward(
  g: NormGeometry,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  training: boolean,
  mean: Float32Array,
  variance: Float32Array,
  invStd: Float32Array,
  y: Float32Array,
  relu = false,
): void {
  const { n, c: channels, spatial } = g;
  if (training) {
    const count = n * spatial;
    for (let c = 0; c < channels; c++) {
      let s = 0;
      for (let b = 0; b < n; b++) {
        const o = (b * channels + c) * spatial;
        for (let i = o; i < o + spatial; i++) s += x[i];
      }
      const mu = s / count;
      // Two passes (the mean, then the squared deviations): E[x²] − μ² cancels badly when |μ| ≫ σ.
      let v = 0;
      for (let b = 0; b < n; b++) {
        const o = (b * channels + c) * spatial;
        for (let i = o; i < o + spatial; i++) v += (x[i] - mu) * (x[i] - mu);
      }
      mean[c] = mu;
      variance[c] = v / count;
    }
  }
  for (let c = 0; c < channels; c++) {
    const inv = 1 / Math.sqrt(variance[c] + g.epsilon);
    invStd[c] = inv;
    const scale = gamma[c] * inv;
    const shift = beta[c] - mean[c] * scale;
    for (let b = 0; b < n; b++) {
      const o = (b * channels + c) * spatial;
      for (let i = o; i < o + spatial; i++) y[i] = x[i] * scale + shift;
    }
  }
  // In place: each value is read before it is written.
  if (relu) reluForward(y, y);
}

export function batchNormBackward(
  g: NormGeometry,
  x: Float32Array,
  dy: Float32Array,
  gamma: Float32Array,
  training: boolean,
  mean: Float32Array,
  invStd: Float32Array,
  dx: Float32Array,
  dGamma: Float32Array,
  dBeta: Float32Array,
  reluOutput: Float32Array | null = null,
): void {
  if (reluOutput) {
    const gated = new Float32Array(dy.length);
    reluBackward(reluOutput, dy, gated);
    dy = gated;
  }
  const { n, c: channels, spatial } = g;
  const count = n * spatial;
  for (let c = 0; c < channels; c++) {
    const mu = mean[c];
    const inv = invStd[c];
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let b = 0; b < n; b++) {
      const o = (b * channels + c) * spatial;
      for (let i = o; i < o + spatial; i++) {
        sumDy += dy[i];
        sumDyXhat += dy[i] * (x[i] - mu) * inv;
      }
    }
    dGamma[c] += sumDyXhat;
    dBeta[c] += sumDy;
    // dx = k·dy − m·k − (x − μ)·q, with the per-channel constants taken out of the loop.
    const k = gamma[c] * inv;
    const mk = training ? (k * sumDy) / count : 0;
    const q = training ? (k * inv * sumDyXhat) / count : 0;
    for (let b = 0; b < n; b++) {
      const o = (b * channels + c) * spatial;
      for (let i = o; i < o + spatial; i++) dx[i] = k * dy[i] - mk - (x[i] - mu) * q;
    }
  }
}
