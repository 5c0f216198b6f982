/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.

/**
 * The update after backward (../../update.ts is the reference): the finiteness check and the optimizers' rules.
 * The rules compute in f64x2, two floats widened at a time, exactly as the reference's JavaScript computes in
 * float64 (multiply, then add: never fused), and narrow each stored value to f32 once, as a Float32Array store
 * does. So both backends move the weights to the same bits.
 */

/** Floats [i, i + 2) at p, widened to f64x2 (Binaryen inlines these two helpers). */
function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** Narrows f64x2 v to two floats at p, rounding to nearest as a Float32Array store does. */
function store2(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}

/** Whether none of the n floats at a is NaN or ±∞ (all exponent bits set). */
export function allFinite(a: usize, n: i32): bool {
  const exponent = i32x4.splat(0x7f800000);
  let bad = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = (<usize>i) << 2;
    bad = v128.or(bad, i32x4.eq(v128.and(v128.load(a + o), exponent), exponent));
    bad = v128.or(bad, i32x4.eq(v128.and(v128.load(a + o, 16), exponent), exponent));
  }
  for (; i < n; i++) {
    if ((load<i32>(a + ((<usize>i) << 2)) & 0x7f800000) == 0x7f800000) return false;
  }
  return !v128.any_true(bad);
}

/** w = w − lr·g over n floats. */
export function sgdUpdate(w: usize, g: usize, n: i32, lr: f64): void {
  const l = f64x2.splat(lr);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 2;
    store2(w + o, f64x2.sub(load2(w + o), f64x2.mul(l, load2(g + o))));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(w + o, <f32>(<f64>load<f32>(w + o) - lr * <f64>load<f32>(g + o)));
  }
}

/** v = μ·v + g, then w = w − lr·v (v as stored, in f32). */
export function momentumUpdate(w: usize, g: usize, v: usize, n: i32, lr: f64, mu: f64): void {
  const l = f64x2.splat(lr);
  const m = f64x2.splat(mu);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 2;
    store2(v + o, f64x2.add(f64x2.mul(m, load2(v + o)), load2(g + o)));
    store2(w + o, f64x2.sub(load2(w + o), f64x2.mul(l, load2(v + o))));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(v + o, <f32>(mu * <f64>load<f32>(v + o) + <f64>load<f32>(g + o)));
    store<f32>(w + o, <f32>(<f64>load<f32>(w + o) - lr * <f64>load<f32>(v + o)));
  }
}

/**
 * Adam: m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g·g, w = w − (lr·(m/c1)) / (√(v/c2) + ε), m and v as stored.
 * The operations and their order are the reference's, term by term.
 */
export function adamUpdate(
  w: usize,
  g: usize,
  m: usize,
  v: usize,
  n: i32,
  lr: f64,
  beta1: f64,
  beta2: f64,
  epsilon: f64,
  c1: f64,
  c2: f64,
): void {
  const b1 = f64x2.splat(beta1);
  const b2 = f64x2.splat(beta2);
  const a1 = f64x2.splat(1 - beta1);
  const a2 = f64x2.splat(1 - beta2);
  const l = f64x2.splat(lr);
  const k1 = f64x2.splat(c1);
  const k2 = f64x2.splat(c2);
  const e = f64x2.splat(epsilon);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 2;
    const gi = load2(g + o);
    store2(m + o, f64x2.add(f64x2.mul(b1, load2(m + o)), f64x2.mul(a1, gi)));
    store2(v + o, f64x2.add(f64x2.mul(b2, load2(v + o)), f64x2.mul(f64x2.mul(a2, gi), gi)));
    const step = f64x2.div(
      f64x2.mul(l, f64x2.div(load2(m + o), k1)),
      f64x2.add(f64x2.sqrt(f64x2.div(load2(v + o), k2)), e),
    );
    store2(w + o, f64x2.sub(load2(w + o), step));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    const gi = <f64>load<f32>(g + o);
    store<f32>(m + o, <f32>(beta1 * <f64>load<f32>(m + o) + (1 - beta1) * gi));
    store<f32>(v + o, <f32>(beta2 * <f64>load<f32>(v + o) + (1 - beta2) * gi * gi));
    const step = (lr * (<f64>load<f32>(m + o) / c1)) / (Math.sqrt(<f64>load<f32>(v + o) / c2) + epsilon);
    store<f32>(w + o, <f32>(<f64>load<f32>(w + o) - step));
  }
}
