/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.
import { madd } from './simd';

/**
 * Batch norm over x[n, c, spatial], per channel (the Kernels interface's batchNormForward / batchNormBackward). One
 * channel's data is n planes of `spatial` contiguous floats; each plane is summed in four f32 lanes and the planes'
 * sums are added in f64, as the reference adds everything in f64, so long batches lose no more than one plane's
 * rounding. x̂ is never stored: backward recomputes (x − μ)·invStd as it goes.
 */

/** Byte address of float i from base (Binaryen inlines it). */
function at(base: usize, i: i32): usize {
  return base + ((<usize>i) << 2);
}

function horizontal(v: v128): f64 {
  return (
    <f64>f32x4.extract_lane(v, 0) +
    <f64>f32x4.extract_lane(v, 1) +
    <f64>f32x4.extract_lane(v, 2) +
    <f64>f32x4.extract_lane(v, 3)
  );
}

/** Σ of one plane. */
function planeSum(p: usize, len: i32): f64 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) acc = f32x4.add(acc, v128.load(at(p, i)));
  let s = horizontal(acc);
  for (; i < len; i++) s += <f64>load<f32>(at(p, i));
  return s;
}

/** Σ (x − μ)² of one plane. */
function planeSquares(p: usize, len: i32, mu: f32): f64 {
  const m = f32x4.splat(mu);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const d = f32x4.sub(v128.load(at(p, i)), m);
    acc = madd(d, d, acc);
  }
  let s = horizontal(acc);
  for (; i < len; i++) {
    const d = load<f32>(at(p, i)) - mu;
    s += <f64>(d * d);
  }
  return s;
}

export function batchNormForward(
  n: i32,
  channels: i32,
  spatial: i32,
  epsilon: f64,
  x: usize,
  gamma: usize,
  beta: usize,
  training: bool,
  mean: usize,
  variance: usize,
  invStd: usize,
  y: usize,
): void {
  const count = <f64>n * <f64>spatial;
  const stride = (<usize>(channels * spatial)) << 2;
  for (let c = 0; c < channels; c++) {
    const first = x + ((<usize>(c * spatial)) << 2);
    if (training) {
      let s: f64 = 0;
      for (let b = 0; b < n; b++) s += planeSum(first + <usize>b * stride, spatial);
      const mu = <f32>(s / count);
      let v: f64 = 0;
      for (let b = 0; b < n; b++) v += planeSquares(first + <usize>b * stride, spatial, mu);
      store<f32>(at(mean, c), mu);
      store<f32>(at(variance, c), <f32>(v / count));
    }
    const inv = <f32>(1 / Math.sqrt(<f64>load<f32>(at(variance, c)) + epsilon));
    store<f32>(at(invStd, c), inv);
    const scale = load<f32>(at(gamma, c)) * inv;
    const shift = load<f32>(at(beta, c)) - load<f32>(at(mean, c)) * scale;
    const vs = f32x4.splat(scale);
    const vb = f32x4.splat(shift);
    for (let b = 0; b < n; b++) {
      const off = ((<usize>(c * spatial)) << 2) + <usize>b * stride;
      const px = x + off;
      const py = y + off;
      let i = 0;
      for (; i + 4 <= spatial; i += 4) v128.store(at(py, i), madd(v128.load(at(px, i)), vs, vb));
      for (; i < spatial; i++) store<f32>(at(py, i), load<f32>(at(px, i)) * scale + shift);
    }
  }
}

export function batchNormBackward(
  n: i32,
  channels: i32,
  spatial: i32,
  x: usize,
  dy: usize,
  gamma: usize,
  training: bool,
  mean: usize,
  invStd: usize,
  dx: usize,
  dGamma: usize,
  dBeta: usize,
): void {
  const count = <f64>n * <f64>spatial;
  const stride = (<usize>(channels * spatial)) << 2;
  for (let c = 0; c < channels; c++) {
    const mu = load<f32>(at(mean, c));
    const inv = load<f32>(at(invStd, c));
    const vm = f32x4.splat(mu);
    let sumDy: f64 = 0;
    let sumDyXc: f64 = 0;
    for (let b = 0; b < n; b++) {
      const off = ((<usize>(c * spatial)) << 2) + <usize>b * stride;
      const px = x + off;
      const pd = dy + off;
      let a1 = f32x4.splat(0);
      let a2 = f32x4.splat(0);
      let i = 0;
      for (; i + 4 <= spatial; i += 4) {
        const d = v128.load(at(pd, i));
        a1 = f32x4.add(a1, d);
        a2 = madd(d, f32x4.sub(v128.load(at(px, i)), vm), a2);
      }
      let s1 = horizontal(a1);
      let s2 = horizontal(a2);
      for (; i < spatial; i++) {
        const d = load<f32>(at(pd, i));
        s1 += <f64>d;
        s2 += <f64>(d * (load<f32>(at(px, i)) - mu));
      }
      sumDy += s1;
      sumDyXc += s2;
    }
    // Σ dy·x̂ = invStd · Σ dy·(x − μ)
    const sumDyXhat = sumDyXc * <f64>inv;
    store<f32>(at(dGamma, c), load<f32>(at(dGamma, c)) + <f32>sumDyXhat);
    store<f32>(at(dBeta, c), load<f32>(at(dBeta, c)) + <f32>sumDy);
    // dx = k·dy − mk − (x − μ)·q, as the reference writes it.
    const k = load<f32>(at(gamma, c)) * inv;
    const mk = training ? <f32>((<f64>k * sumDy) / count) : 0;
    const q = training ? <f32>((<f64>k * <f64>inv * sumDyXhat) / count) : 0;
    const vk = f32x4.splat(k);
    const vmk = f32x4.splat(mk);
    const vq = f32x4.splat(q);
    for (let b = 0; b < n; b++) {
      const off = ((<usize>(c * spatial)) << 2) + <usize>b * stride;
      const px = x + off;
      const pd = dy + off;
      const po = dx + off;
      let i = 0;
      for (; i + 4 <= spatial; i += 4) {
        const xc = f32x4.sub(v128.load(at(px, i)), vm);
        const t = f32x4.sub(f32x4.mul(vk, v128.load(at(pd, i))), vmk);
        v128.store(at(po, i), f32x4.sub(t, f32x4.mul(xc, vq)));
      }
      for (; i < spatial; i++) {
        store<f32>(at(po, i), k * load<f32>(at(pd, i)) - mk - (load<f32>(at(px, i)) - mu) * q);
      }
    }
  }
}
