/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.
import { gemmDot, useDot } from './dot';
import { EDGE_TILE, KC, MC, MR, NC, NR, PACK_A, PACK_B } from './layout';
import { packA, packB } from './pack';
import { madd } from './simd';

/**
 * C[i0.., j0..] (+)= the MR×NR tile of packed A sliver × packed B sliver over kc steps. The 8 accumulators hold the
 * tile as rows of two vectors; each step broadcasts one A value per row and multiplies it into the row's two vectors
 * of B. `rows`/`cols` < MR/NR mark a tile overhanging the edge of C: it is written through EDGE_TILE, trimmed.
 * ldc is in bytes.
 */
export function microKernel(kc: i32, a: usize, b: usize, c: usize, ldc: usize, rows: i32, cols: i32, add: bool): void {
  let c00 = f32x4.splat(0);
  let c01 = c00;
  let c10 = c00;
  let c11 = c00;
  let c20 = c00;
  let c21 = c00;
  let c30 = c00;
  let c31 = c00;
  for (let p = 0; p < kc; p++, a += MR * 4, b += NR * 4) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const a0 = v128.load32_splat(a);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(a, 4);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(a, 8);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    const a3 = v128.load32_splat(a, 12);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
  }
  if (rows == MR && cols == NR) {
    storeRow(c, c00, c01, add);
    storeRow(c + ldc, c10, c11, add);
    storeRow(c + 2 * ldc, c20, c21, add);
    storeRow(c + 3 * ldc, c30, c31, add);
    return;
  }
  storeRow(EDGE_TILE, c00, c01, false);
  storeRow(EDGE_TILE + 32, c10, c11, false);
  storeRow(EDGE_TILE + 64, c20, c21, false);
  storeRow(EDGE_TILE + 96, c30, c31, false);
  for (let r = 0; r < rows; r++) {
    const dst = c + <usize>r * ldc;
    const src = EDGE_TILE + ((<usize>(r * NR)) << 2);
    for (let j = 0; j < cols; j++) {
      const o = (<usize>j) << 2;
      const v = load<f32>(src + o);
      store<f32>(dst + o, add ? load<f32>(dst + o) + v : v);
    }
  }
}

/** Writes (or adds) one row of a full tile: NR = 8 floats as two vectors. */
function storeRow(p: usize, lo: v128, hi: v128, add: bool): void {
  if (add) {
    lo = f32x4.add(v128.load(p), lo);
    hi = f32x4.add(v128.load(p, 16), hi);
  }
  v128.store(p, lo);
  v128.store(p, hi, 16);
}

/** Runs the micro-kernel over every tile of the packed mc×kc block of A and kc×nc panel of B. */
export function macroKernel(mc: i32, nc: i32, kc: i32, c: usize, ldc: usize, add: bool): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const b = PACK_B + ((<usize>(jr * kc)) << 2);
    for (let ir = 0; ir < mc; ir += MR) {
      const a = PACK_A + ((<usize>(ir * kc)) << 2);
      microKernel(kc, a, b, c + <usize>ir * ldc + ((<usize>jr) << 2), ldc, min(MR, mc - ir), cols, add);
    }
  }
}

/**
 * C[m×n] = (accumulate ? C : 0) + op(A)·op(B) with leading dimensions (row lengths, in floats) lda, ldb, ldc.
 * op(A) is m×k: A stored m×k, or k×m when transA. op(B) is k×n: B stored k×n, or n×k when transB.
 * All matrices are byte addresses in this module's memory, outside the workspace.
 */
export function gemmStrided(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  lda: i32,
  transA: bool,
  b: usize,
  ldb: i32,
  transB: bool,
  c: usize,
  ldc: i32,
  accumulate: bool,
): void {
  if (m <= 0 || n <= 0) return;
  const ldcBytes = (<usize>ldc) << 2;
  if (k <= 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldcBytes, 0, (<usize>n) << 2);
    return;
  }
  if (!transA && transB && useDot(m, k)) {
    gemmDot(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(kc, nc, b, ldb, transB, pc, jc);
      // The first K block overwrites C unless accumulating; later K blocks add their share.
      const add = accumulate || pc > 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(mc, kc, a, lda, transA, ic, pc);
        macroKernel(mc, nc, kc, c + <usize>ic * ldcBytes + ((<usize>jc) << 2), ldcBytes, add);
      }
    }
  }
}

/** The Kernels.gemm contract on dense matrices: lda, ldb, ldc follow from the shapes and transposes. */
export function gemm(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  transA: bool,
  b: usize,
  transB: bool,
  c: usize,
  accumulate: bool,
): void {
  gemmStrided(m, n, k, a, transA ? m : k, transA, b, transB ? k : n, transB, c, n, accumulate);
}
