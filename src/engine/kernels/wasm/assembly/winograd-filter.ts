/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.
import { C, F, H, N, OH, OW, W } from './conv-geometry';
import { macroKernel } from './gemm';
import { KC, MC, NC } from './layout';
import { packA, packB } from './pack';
import { copyRun, sum } from './simd';
import { copyPadded, paddedFloats, PS, PW, TB, TILES, TXP, TY } from './winograd';

/**
 * The kernel gradient of a 3×3 stride-1 convolution by Winograd F(3×3, 2×2), on the plan winograd.ts made for the
 * forward pass. dW[f, c, ky, kx] = Σ x[c, p + k] · dy[f, p] over the batch and the output pixels p: split the pixels
 * into the same 2×2 tiles as the forward pass, and each tile's share is a 3×3 correlation of the 4×4 block of x
 * under it with the 2×2 block of dy, which Winograd computes as Aᵀ[(G dy Gᵀ) ⊙ (Bᵀ x B)]A with 16 multiplies
 * instead of 36. Summed over tiles the elementwise products are 16 matrix products M[ξ] (F × C) += D[ξ] (F × tiles)
 * · X[ξ]ᵀ (tiles × C), accumulated over the whole batch on the GEMM's packing and micro-kernel, and transformed back
 * to 3×3 once at the end. The points 0, 1, −1 (and ∞) give
 *   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 −1 0 1], G = [1 0; ½ ½; ½ −½; 0 1], Aᵀ = [1 1 1 0; 0 1 −1 0; 0 1 1 1].
 * dy is copied into rows padded with zeros to whole tiles (2·TXP wide, 2·TY high), so that tiles past the map add
 * nothing.
 */

function dyRow(): i32 {
  return 2 * TXP;
}
function dyPlane(): i32 {
  return 2 * TY * dyRow();
}
function dyFloats(): i32 {
  return (F * dyPlane() + 15) & ~15;
}
/** Floats between positions ξ of the transformed blocks (one cache line over a power of two: see winograd.ts). */
function xStride(): i32 {
  return C * TB + 16;
}
function dStride(): i32 {
  return F * TB + 16;
}

/** Floats of scratch: padded image and dy, the transformed blocks X and D, and the 16 sums M (F × C each). */
export function winogradFilterScratchFloats(): i32 {
  return paddedFloats() + dyFloats() + 16 * xStride() + 16 * dStride() + 16 * F * C;
}

/** X[ξ][c][t] = Bᵀ x B for the tiles [t0, t0 + count), 4 tiles of a row at a time in the lanes. */
function transformX(p: usize, t0: i32, count: i32, xt: usize): void {
  const xiBytes = (<usize>xStride()) << 2;
  const rowBytes = (<usize>PW) << 2;
  for (let k = 0; k < count; k += 4) {
    const t = t0 + k;
    const ty = t / TXP;
    const tx = t - ty * TXP;
    let src = p + ((<usize>(2 * ty * PW + 2 * tx)) << 2);
    let dst = xt + ((<usize>k) << 2);
    for (let c = 0; c < C; c++, src += (<usize>PS) << 2, dst += (<usize>TB) << 2) {
      let s = src;
      let a = v128.load(s);
      let b = v128.load(s, 16);
      let e = v128.load(s, 32);
      let d0 = f32x4.shuffle(a, b, 0, 2, 4, 6);
      let d1 = f32x4.shuffle(a, b, 1, 3, 5, 7);
      let d2 = f32x4.shuffle(d0, e, 1, 2, 3, 4);
      let d3 = f32x4.shuffle(d1, e, 1, 2, 3, 5);
      const w00 = f32x4.sub(d0, d2);
      const w01 = f32x4.add(d1, d2);
      const w02 = f32x4.sub(d2, d1);
      const w03 = f32x4.sub(d3, d1);
      s += rowBytes;
      a = v128.load(s);
      b = v128.load(s, 16);
      e = v128.load(s, 32);
      d0 = f32x4.shuffle(a, b, 0, 2, 4, 6);
      d1 = f32x4.shuffle(a, b, 1, 3, 5, 7);
      d2 = f32x4.shuffle(d0, e, 1, 2, 3, 4);
      d3 = f32x4.shuffle(d1, e, 1, 2, 3, 5);
      const w10 = f32x4.sub(d0, d2);
      const w11 = f32x4.add(d1, d2);
      const w12 = f32x4.sub(d2, d1);
      const w13 = f32x4.sub(d3, d1);
      s += rowBytes;
      a = v128.load(s);
      b = v128.load(s, 16);
      e = v128.load(s, 32);
      d0 = f32x4.shuffle(a, b, 0, 2, 4, 6);
      d1 = f32x4.shuffle(a, b, 1, 3, 5, 7);
      d2 = f32x4.shuffle(d0, e, 1, 2, 3, 4);
      d3 = f32x4.shuffle(d1, e, 1, 2, 3, 5);
      const w20 = f32x4.sub(d0, d2);
      const w21 = f32x4.add(d1, d2);
      const w22 = f32x4.sub(d2, d1);
      const w23 = f32x4.sub(d3, d1);
      s += rowBytes;
      a = v128.load(s);
      b = v128.load(s, 16);
      e = v128.load(s, 32);
      d0 = f32x4.shuffle(a, b, 0, 2, 4, 6);
      d1 = f32x4.shuffle(a, b, 1, 3, 5, 7);
      d2 = f32x4.shuffle(d0, e, 1, 2, 3, 4);
      d3 = f32x4.shuffle(d1, e, 1, 2, 3, 5);
      const w30 = f32x4.sub(d0, d2);
      const w31 = f32x4.add(d1, d2);
      const w32 = f32x4.sub(d2, d1);
      const w33 = f32x4.sub(d3, d1);
      let o = dst;
      v128.store(o, f32x4.sub(w00, w20));
      v128.store((o += xiBytes), f32x4.sub(w01, w21));
      v128.store((o += xiBytes), f32x4.sub(w02, w22));
      v128.store((o += xiBytes), f32x4.sub(w03, w23));
      v128.store((o += xiBytes), f32x4.add(w10, w20));
      v128.store((o += xiBytes), f32x4.add(w11, w21));
      v128.store((o += xiBytes), f32x4.add(w12, w22));
      v128.store((o += xiBytes), f32x4.add(w13, w23));
      v128.store((o += xiBytes), f32x4.sub(w20, w10));
      v128.store((o += xiBytes), f32x4.sub(w21, w11));
      v128.store((o += xiBytes), f32x4.sub(w22, w12));
      v128.store((o += xiBytes), f32x4.sub(w23, w13));
      v128.store((o += xiBytes), f32x4.sub(w30, w10));
      v128.store((o += xiBytes), f32x4.sub(w31, w11));
      v128.store((o += xiBytes), f32x4.sub(w32, w12));
      v128.store((o += xiBytes), f32x4.sub(w33, w13));
    }
  }
}

/** D[ξ][f][t] = G dy Gᵀ for the tiles [t0, t0 + count) of the padded dy, 4 tiles in the lanes. */
function transformDy(q: usize, t0: i32, count: i32, dt: usize): void {
  const xiBytes = (<usize>dStride()) << 2;
  const rowBytes = (<usize>dyRow()) << 2;
  const half = f32x4.splat(0.5);
  for (let k = 0; k < count; k += 4) {
    const t = t0 + k;
    const ty = t / TXP;
    const tx = t - ty * TXP;
    let src = q + ((<usize>(2 * ty * dyRow() + 2 * tx)) << 2);
    let dst = dt + ((<usize>k) << 2);
    for (let f = 0; f < F; f++, src += (<usize>dyPlane()) << 2, dst += (<usize>TB) << 2) {
      let a = v128.load(src);
      let b = v128.load(src, 16);
      let g0 = f32x4.shuffle(a, b, 0, 2, 4, 6);
      let g1 = f32x4.shuffle(a, b, 1, 3, 5, 7);
      const h00 = g0;
      const h01 = f32x4.mul(half, f32x4.add(g0, g1));
      const h02 = f32x4.mul(half, f32x4.sub(g0, g1));
      const h03 = g1;
      a = v128.load(src + rowBytes);
      b = v128.load(src + rowBytes, 16);
      g0 = f32x4.shuffle(a, b, 0, 2, 4, 6);
      g1 = f32x4.shuffle(a, b, 1, 3, 5, 7);
      const h10 = g0;
      const h11 = f32x4.mul(half, f32x4.add(g0, g1));
      const h12 = f32x4.mul(half, f32x4.sub(g0, g1));
      const h13 = g1;
      let o = dst;
      v128.store(o, h00);
      v128.store((o += xiBytes), h01);
      v128.store((o += xiBytes), h02);
      v128.store((o += xiBytes), h03);
      v128.store((o += xiBytes), f32x4.mul(half, f32x4.add(h00, h10)));
      v128.store((o += xiBytes), f32x4.mul(half, f32x4.add(h01, h11)));
      v128.store((o += xiBytes), f32x4.mul(half, f32x4.add(h02, h12)));
      v128.store((o += xiBytes), f32x4.mul(half, f32x4.add(h03, h13)));
      v128.store((o += xiBytes), f32x4.mul(half, f32x4.sub(h00, h10)));
      v128.store((o += xiBytes), f32x4.mul(half, f32x4.sub(h01, h11)));
      v128.store((o += xiBytes), f32x4.mul(half, f32x4.sub(h02, h12)));
      v128.store((o += xiBytes), f32x4.mul(half, f32x4.sub(h03, h13)));
      v128.store((o += xiBytes), h10);
      v128.store((o += xiBytes), h11);
      v128.store((o += xiBytes), h12);
      v128.store((o += xiBytes), h13);
    }
  }
}

/** dKernel[f, c] += Aᵀ M A for every filter and channel, M[i][j] = sums[4i + j][f][c]. */
function transformBack(sums: usize, dKernel: usize): void {
  const xiBytes = (<usize>(F * C)) << 2;
  for (let fc = 0; fc < F * C; fc++) {
    const s = sums + ((<usize>fc) << 2);
    const dst = dKernel + ((<usize>(fc * 9)) << 2);
    // Aᵀ on the rows i of M, for each column j: r0 = m0 + m1 + m2, r1 = m1 − m2, r2 = m1 + m2 + m3.
    for (let j = 0; j < 4; j++) {
      const m0 = load<f32>(s + <usize>j * xiBytes);
      const m1 = load<f32>(s + <usize>(4 + j) * xiBytes);
      const m2 = load<f32>(s + <usize>(8 + j) * xiBytes);
      const m3 = load<f32>(s + <usize>(12 + j) * xiBytes);
      store<f32>(ROWS + ((<usize>j) << 2), m0 + m1 + m2);
      store<f32>(ROWS + ((<usize>(4 + j)) << 2), m1 - m2);
      store<f32>(ROWS + ((<usize>(8 + j)) << 2), m1 + m2 + m3);
    }
    for (let r = 0; r < 3; r++) {
      const p = ROWS + ((<usize>(4 * r)) << 2);
      const a0 = load<f32>(p);
      const a1 = load<f32>(p, 4);
      const a2 = load<f32>(p, 8);
      const a3 = load<f32>(p, 12);
      const o = dst + ((<usize>(3 * r)) << 2);
      store<f32>(o, load<f32>(o) + (a0 + a1 + a2));
      store<f32>(o, load<f32>(o, 4) + (a1 - a2), 4);
      store<f32>(o, load<f32>(o, 8) + (a1 + a2 + a3), 8);
    }
  }
}

/** 12 floats of static data: Aᵀ M for one filter and channel (no allocation: the stub runtime never frees). */
const ROWS: usize = memory.data(48, 16);

/**
 * dKernel += the kernel gradient and dBias += the sums of dy, for the geometry useWinograd() accepted and
 * winogradFilterFits() holds. `scratch` holds winogradFilterScratchFloats() floats.
 */
export function winogradBackwardFilter(
  x: usize,
  dy: usize,
  dKernel: usize,
  dBias: usize,
  hasBias: bool,
  scratch: usize,
): void {
  const padded = scratch;
  const q = padded + ((<usize>paddedFloats()) << 2);
  const xt = q + ((<usize>dyFloats()) << 2);
  const dt = xt + ((<usize>(16 * xStride())) << 2);
  const sums = dt + ((<usize>(16 * dStride())) << 2);
  memory.fill(padded, 0, (<usize>(paddedFloats() + dyFloats())) << 2);
  memory.fill(sums, 0, (<usize>(16 * F * C)) << 2);
  const ohw = OH * OW;
  const ldc = (<usize>C) << 2;
  for (let img = 0; img < N; img++) {
    copyPadded(x + ((<usize>(img * C * H * W)) << 2), padded);
    const dyi = dy + ((<usize>(img * F * ohw)) << 2);
    for (let f = 0; f < F; f++) {
      const plane = dyi + ((<usize>(f * ohw)) << 2);
      for (let r = 0; r < OH; r++) {
        copyRun(q + ((<usize>(f * dyPlane() + r * dyRow())) << 2), plane + ((<usize>(r * OW)) << 2), OW);
      }
      if (hasBias) {
        const p = dBias + ((<usize>f) << 2);
        store<f32>(p, load<f32>(p) + sum(plane, ohw));
      }
    }
    for (let t0 = 0; t0 < TILES; t0 += TB) {
      const count = min(TB, TILES - t0);
      transformX(padded, t0, count, xt);
      transformDy(q, t0, count, dt);
      for (let xi = 0; xi < 16; xi++) {
        // M[ξ] (F × C) += D[ξ] (F × count) · X[ξ]ᵀ: X[ξ] is stored C × count, so it is packed transposed.
        packB(count, C, xt + ((<usize>(xi * xStride())) << 2), TB, true, 0, 0);
        const d = dt + ((<usize>(xi * dStride())) << 2);
        const m = sums + ((<usize>(xi * F * C)) << 2);
        for (let ic = 0; ic < F; ic += MC) {
          const mc = min(MC, F - ic);
          packA(mc, count, d, TB, false, ic, 0);
          macroKernel(mc, C, count, m + <usize>ic * ldc, ldc, true);
        }
      }
    }
  }
  transformBack(sums, dKernel);
}

/** Whether the geometry useWinograd() accepted fits one packed panel of B per product (C ≤ NC, TB ≤ KC). */
export function winogradFilterFits(): bool {
  return C <= NC && TB <= KC;
}
