/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.
import { madd } from './simd';

/**
 * C = (accumulate ? C : 0) + A·Bᵀ with A stored m×k and B stored n×k: a dense layer's forward pass, y = x·Wᵀ.
 * Every output is a dot product of two rows that are both contiguous along k, so nothing is packed: a tile of 2 rows
 * of A × 4 rows of B keeps 8 vectors of partial sums (one per output, four k-phases in the lanes), loads 4 floats of
 * each of its 6 rows per step, and folds the lanes together once at the end. gemm.ts sends small-m products here
 * (a batch of activations times a weight matrix), where packing both operands on every call costs as much as the
 * multiply-adds. Leading dimensions are in floats, addresses in bytes.
 */

/** The 4 lanes of r0..r3 summed into one vector: lane j = the sum of rj's lanes. */
function fold4(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  const t0 = f32x4.add(f32x4.shuffle(r0, r1, 0, 4, 1, 5), f32x4.shuffle(r0, r1, 2, 6, 3, 7)); // r0 r1 partial pairs
  const t1 = f32x4.add(f32x4.shuffle(r2, r3, 0, 4, 1, 5), f32x4.shuffle(r2, r3, 2, 6, 3, 7));
  return f32x4.add(f32x4.shuffle(t0, t1, 0, 1, 4, 5), f32x4.shuffle(t0, t1, 2, 3, 6, 7));
}

/** The sum of v's 4 lanes. */
function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * `rows` (1 or 2) rows of A from a0 (a1 = a0 + ldaBytes) × `cols` (4 or 1) rows of B from b0 (ldbBytes apart), into C
 * at c (ldcBytes between rows). Called through inline.always with constant rows and cols.
 */
function dotTile(
  rows: i32,
  cols: i32,
  k: i32,
  a0: usize,
  ldaBytes: usize,
  b0: usize,
  ldbBytes: usize,
  c: usize,
  ldcBytes: usize,
  add: bool,
): void {
  const a1 = a0 + ldaBytes;
  const b1 = b0 + ldbBytes;
  const b2 = b1 + ldbBytes;
  const b3 = b2 + ldbBytes;
  let s00 = f32x4.splat(0);
  let s01 = s00;
  let s02 = s00;
  let s03 = s00;
  let s10 = s00;
  let s11 = s00;
  let s12 = s00;
  let s13 = s00;
  const k4 = (<usize>(k & ~3)) << 2;
  for (let o: usize = 0; o < k4; o += 16) {
    const x0 = v128.load(a0 + o);
    const x1 = rows > 1 ? v128.load(a1 + o) : x0;
    const w0 = v128.load(b0 + o);
    s00 = madd(x0, w0, s00);
    if (rows > 1) s10 = madd(x1, w0, s10);
    if (cols > 1) {
      const w1 = v128.load(b1 + o);
      s01 = madd(x0, w1, s01);
      if (rows > 1) s11 = madd(x1, w1, s11);
      const w2 = v128.load(b2 + o);
      s02 = madd(x0, w2, s02);
      if (rows > 1) s12 = madd(x1, w2, s12);
      const w3 = v128.load(b3 + o);
      s03 = madd(x0, w3, s03);
      if (rows > 1) s13 = madd(x1, w3, s13);
    }
  }
  if (cols > 1) {
    // Row r's 4 outputs as one vector; the last k % 4 steps added one by one.
    let r0 = fold4(s00, s01, s02, s03);
    let r1 = rows > 1 ? fold4(s10, s11, s12, s13) : r0;
    for (let o = k4; o < (<usize>k) << 2; o += 4) {
      const w = f32x4(load<f32>(b0 + o), load<f32>(b1 + o), load<f32>(b2 + o), load<f32>(b3 + o));
      r0 = madd(f32x4.splat(load<f32>(a0 + o)), w, r0);
      if (rows > 1) r1 = madd(f32x4.splat(load<f32>(a1 + o)), w, r1);
    }
    if (add) r0 = f32x4.add(r0, v128.load(c));
    v128.store(c, r0);
    if (rows > 1) {
      if (add) r1 = f32x4.add(r1, v128.load(c + ldcBytes));
      v128.store(c + ldcBytes, r1);
    }
    return;
  }
  let t0 = hsum(s00);
  let t1 = rows > 1 ? hsum(s10) : t0;
  for (let o = k4; o < (<usize>k) << 2; o += 4) {
    const w = load<f32>(b0 + o);
    t0 += load<f32>(a0 + o) * w;
    if (rows > 1) t1 += load<f32>(a1 + o) * w;
  }
  store<f32>(c, add ? load<f32>(c) + t0 : t0);
  if (rows > 1) store<f32>(c + ldcBytes, add ? load<f32>(c + ldcBytes) + t1 : t1);
}

/**
 * Whether A·Bᵀ goes here rather than to the packed GEMM: A, re-read once per 4 rows of B, must stay in L2 (256 KB)
 * and a 4-row tile of B in L1 (32 KB). Measured faster than packing at every such size tried, 1.1× to 1.8×
 * (LeNet's dense layers, 32×120×400 and 32×84×120: 1.16× and 1.20×); n does not matter.
 */
export function useDot(m: i32, k: i32): bool {
  return <i64>m * <i64>k <= 65536 && k <= 2048;
}

/** C[m×n] (+)= A[m×k] · B[n×k]ᵀ, leading dimensions lda, ldb, ldc in floats. */
export function gemmDot(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  c: usize,
  ldc: i32,
  add: bool,
): void {
  const ldaBytes = (<usize>lda) << 2;
  const ldbBytes = (<usize>ldb) << 2;
  const ldcBytes = (<usize>ldc) << 2;
  // Four rows of B (its tile stays in L1) against every pair of rows of A, then the next four.
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const bj = b + <usize>j * ldbBytes;
    const cj = c + ((<usize>j) << 2);
    let i = 0;
    for (; i + 2 <= m; i += 2) {
      inline.always(
        dotTile(2, 4, k, a + <usize>i * ldaBytes, ldaBytes, bj, ldbBytes, cj + <usize>i * ldcBytes, ldcBytes, add),
      );
    }
    if (i < m)
      inline.always(
        dotTile(1, 4, k, a + <usize>i * ldaBytes, ldaBytes, bj, ldbBytes, cj + <usize>i * ldcBytes, ldcBytes, add),
      );
  }
  for (; j < n; j++) {
    const bj = b + <usize>j * ldbBytes;
    const cj = c + ((<usize>j) << 2);
    let i = 0;
    for (; i + 2 <= m; i += 2) {
      inline.always(
        dotTile(2, 1, k, a + <usize>i * ldaBytes, ldaBytes, bj, ldbBytes, cj + <usize>i * ldcBytes, ldcBytes, add),
      );
    }
    if (i < m)
      inline.always(
        dotTile(1, 1, k, a + <usize>i * ldaBytes, ldaBytes, bj, ldbBytes, cj + <usize>i * ldcBytes, ldcBytes, add),
      );
  }
}
