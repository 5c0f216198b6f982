/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.

/**
 * acc + a·b on four lanes. The relaxed-SIMD build (ASC_FEATURE_RELAXED_SIMD, a compile-time constant) uses the fused
 * multiply-add, one instruction and one rounding; the plain build multiplies then adds. Binaryen inlines this.
 */
export function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(f32x4.mul(a, b), acc);
}

/** dst[i] += src[i] for i < len (float indices, byte addresses), four lanes at a time. */
export function addInto(dst: usize, src: usize, len: i32): void {
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < len; i++) {
    const o = (<usize>i) << 2;
    store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
  }
}

/** dst[i] += value for i < len. */
export function addScalar(dst: usize, value: f32, len: i32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v));
  }
  for (; i < len; i++) {
    const o = (<usize>i) << 2;
    store<f32>(dst + o, load<f32>(dst + o) + value);
  }
}

/** The sum of len floats from src. */
export function sum(src: usize, len: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= len; i += 4) acc = f32x4.add(acc, v128.load(src + ((<usize>i) << 2)));
  let s =
    f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < len; i++) s += load<f32>(src + ((<usize>i) << 2));
  return s;
}

/** dst[0..len) = src[0..len), four floats at a time (runs are short: a copy loop beats memory.copy's call). */
export function copyRun(dst: usize, src: usize, len: i32): void {
  let i = 0;
  for (; i + 4 <= len; i += 4) v128.store(dst + ((<usize>i) << 2), v128.load(src + ((<usize>i) << 2)));
  for (; i < len; i++) store<f32>(dst + ((<usize>i) << 2), load<f32>(src + ((<usize>i) << 2)));
}
