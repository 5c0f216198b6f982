/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.
import { C, F, H, KH, KW, N, OH, OW, PAD_LEFT, PAD_TOP, S, W } from './conv-geometry';
import { microKernel } from './gemm';
import { MR, NR } from './layout';
import { copyRun } from './simd';

/**
 * Winograd F(2×2, 3×3) for 3×3, stride-1 convolutions: each 2×2 block of outputs (a tile) comes from the 4×4 block
 * of input under it through Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, 16 multiplies per tile, channel and filter where the
 * direct kernels do 36: 2.25× fewer. Summed over channels the elementwise products are 16 matrix products,
 * M[ξ] (F × tiles) = U[ξ] (F × C) · V[ξ] (C × tiles), one per position ξ of the 4×4 transformed tile, run on the GEMM's
 * micro-kernel (gemm.ts). Per call the kernel is transformed once (U, packed as the micro-kernel's A slivers); per
 * image the input is copied into a zero-bordered buffer, then per block of TB tiles the input tiles are transformed
 * straight into the micro-kernel's packed B layout (V), multiplied, and the sums transformed back into y with the
 * bias. The block keeps V and M in L2. Lanes run over 4 tiles side by side in a row of tiles, so rows of tiles are
 * padded to a multiple of 4 (the extra tiles read zeros and are not written out).
 *
 * Accuracy: the transforms only add, subtract and halve (G), so the result differs from the direct sum by rounding of
 * a few more additions, about 1e-6 relative in float32 for this tile size.
 */

/** Tiles per block: a multiple of NR (8) and of 4. V and M of a block are 16·C·TB and 16·F·TB floats. */
export const TB = 64;
/** Fewer channels than this and the transforms cost more than the multiplies they save (the 3-channel first layer). */
const MIN_CHANNELS = 16;
/** The transformed kernel, 16·F·C floats, is read once per block: keep it within L2 (4 MB packed at most). */
const MAX_TRANSFORMED = 1 << 20;

export let TX = 0; // tiles per row of output
export let TY = 0; // rows of tiles
export let TXP = 0; // tiles per row as computed: TX rounded up to 4
export let PW = 0; // padded buffer: row stride, rows, plane stride (floats)
export let PHR = 0;
export let PS = 0;
export let FP = 0; // filters rounded up to MR (4)
export let TILES = 0; // TY·TXP

/** 12 floats of static data for one filter's G g (no allocation: the stub runtime never frees). */
const GG: usize = memory.data(48, 16);

/** Whether the Winograd path takes the current geometry (and plans it): 3×3, stride 1, enough channels, and a win. */
export function useWinograd(): bool {
  if (KH != 3 || KW != 3 || S != 1 || N <= 0 || F <= 0) return false;
  if (C < MIN_CHANNELS || PAD_TOP < 0 || PAD_TOP > 2 || PAD_LEFT < 0 || PAD_LEFT > 2) return false;
  if (OH < 2 || OW < 2) return false;
  TX = (OW + 1) >> 1;
  TY = (OH + 1) >> 1;
  TXP = (TX + 3) & ~3;
  FP = (F + MR - 1) & ~(MR - 1);
  if (<i64>16 * <i64>FP * <i64>C > MAX_TRANSFORMED) return false;
  // 16 multiplies per computed tile against 9 per output pixel for the direct kernels; rows padded to 4 tiles (narrow
  // maps) can eat the saving, so take Winograd only when it does at most 2/3 of the direct multiplies.
  if (<i64>3 * 16 * <i64>(TY * TXP) > <i64>2 * 9 * <i64>(OH * OW)) return false;
  TILES = TY * TXP;
  PW = 2 * TXP + 4; // a group of 4 tiles loads 12 floats from column 2·tx
  PHR = 2 * TY + 2;
  PS = PHR * PW;
  return true;
}

export function paddedFloats(): i32 {
  return (C * PS + 15) & ~15;
}
function transformedFloats(): i32 {
  return 16 * FP * C;
}
/**
 * Floats between positions ξ of V and of M. Powers of two (C·TB, F·TB) would put the 16 positions of a tile in the
 * same L1 set (4 KB apart), and the transforms, which touch all 16 at once, would evict each other: one cache line
 * more per position spreads them.
 */
function vStride(): i32 {
  return C * TB + 16;
}
function mStride(): i32 {
  return FP * TB + 16;
}
function tileFloats(): i32 {
  return 16 * vStride();
}

/** Floats of scratch for the geometry useWinograd() last accepted: padded image, U, V and M of one block. */
export function winogradScratchFloats(): i32 {
  return paddedFloats() + transformedFloats() + tileFloats() + 16 * mStride();
}

/**
 * U[ξ] = G g Gᵀ for every filter and channel, stored as the micro-kernel's A slivers: for position ξ and 4 filters,
 * C columns of 4 values. Filters past F are zeros.
 */
function transformKernel(kernel: usize, u: usize): void {
  memory.fill(u, 0, (<usize>transformedFloats()) << 2);
  const slivers = FP >> 2;
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      const g = kernel + ((<usize>((f * C + c) * 9)) << 2);
      const base = ((f >> 2) * C + c) * 4 + (f & 3);
      const xiStride = slivers * C * 4;
      // Gg (4 rows of 3: g row 0, (r0 + r1 + r2)/2, (r0 − r1 + r2)/2, g row 2), then each row times Gᵀ.
      for (let j = 0; j < 3; j++) {
        const g0 = load<f32>(g + ((<usize>j) << 2));
        const g1 = load<f32>(g + ((<usize>(3 + j)) << 2));
        const g2 = load<f32>(g + ((<usize>(6 + j)) << 2));
        store<f32>(GG + ((<usize>j) << 2), g0);
        store<f32>(GG + ((<usize>(3 + j)) << 2), <f32>0.5 * (g0 + g1 + g2));
        store<f32>(GG + ((<usize>(6 + j)) << 2), <f32>0.5 * (g0 - g1 + g2));
        store<f32>(GG + ((<usize>(9 + j)) << 2), g2);
      }
      for (let i = 0; i < 4; i++) {
        const a0 = load<f32>(GG + ((<usize>(i * 3)) << 2));
        const a1 = load<f32>(GG + ((<usize>(i * 3 + 1)) << 2));
        const a2 = load<f32>(GG + ((<usize>(i * 3 + 2)) << 2));
        const at = u + ((<usize>(base + i * 4 * xiStride)) << 2);
        const step = (<usize>xiStride) << 2;
        store<f32>(at, a0);
        store<f32>(at + step, <f32>0.5 * (a0 + a1 + a2));
        store<f32>(at + 2 * step, <f32>0.5 * (a0 - a1 + a2));
        store<f32>(at + 3 * step, a2);
      }
    }
  }
}

/**
 * V[ξ] for the tiles [t0, t0 + count) of the padded image p (count a multiple of 4), 4 tiles of a row at a time:
 * Bᵀ d B with each of the 16 entries a vector over the 4 tiles, stored at the block's packed B layout (for position
 * ξ and 8 tiles, C rows of 8 values).
 */
function transformInput(p: usize, t0: i32, count: i32, v: usize): void {
  const xiBytes = (<usize>vStride()) << 2;
  const rowBytes = (<usize>PW) << 2;
  for (let k = 0; k < count; k += 4) {
    const t = t0 + k;
    const ty = t / TXP;
    const tx = t - ty * TXP;
    let src = p + ((<usize>(2 * ty * PW + 2 * tx)) << 2);
    // Byte offset of this group's lanes in position 0's sliver; position ξ adds ξ·vStride() floats.
    let dst = v + ((<usize>(((k >> 3) * C) << 3) + <usize>(k & 7)) << 2);
    for (let c = 0; c < C; c++, src += (<usize>PS) << 2, dst += 32) {
      // Per row r of d: the 4 columns as vectors over tiles (columns 2tx + 2l + j), then d·B on them.
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
      const w03 = f32x4.sub(d1, d3);
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
      const w13 = f32x4.sub(d1, d3);
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
      const w23 = f32x4.sub(d1, d3);
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
      const w33 = f32x4.sub(d1, d3);
      // Bᵀ on the rows: ξ = 4i + j.
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
      v128.store((o += xiBytes), f32x4.sub(w10, w30));
      v128.store((o += xiBytes), f32x4.sub(w11, w31));
      v128.store((o += xiBytes), f32x4.sub(w12, w32));
      v128.store((o += xiBytes), f32x4.sub(w13, w33));
    }
  }
}

/** Writes one output row of 4 tiles: lanes lo (column 2l) and hi (column 2l + 1) interleaved, trimmed at OW. */
function storePairs(dst: usize, ox: i32, lo: v128, hi: v128): void {
  const p0 = f32x4.shuffle(lo, hi, 0, 4, 1, 5);
  const p1 = f32x4.shuffle(lo, hi, 2, 6, 3, 7);
  if (ox + 8 <= OW) {
    v128.store(dst, p0);
    v128.store(dst, p1, 16);
    return;
  }
  // The last group of a row: 1 to 7 columns left (OW − ox).
  const n = OW - ox;
  store<f32>(dst, f32x4.extract_lane(p0, 0));
  if (n > 1) store<f32>(dst, f32x4.extract_lane(p0, 1), 4);
  if (n > 2) store<f32>(dst, f32x4.extract_lane(p0, 2), 8);
  if (n > 3) store<f32>(dst, f32x4.extract_lane(p0, 3), 12);
  if (n > 4) store<f32>(dst, f32x4.extract_lane(p1, 0), 16);
  if (n > 5) store<f32>(dst, f32x4.extract_lane(p1, 1), 20);
  if (n > 6) store<f32>(dst, f32x4.extract_lane(p1, 2), 24);
}

/** y (one image) for the tiles [t0, t0 + count) from the block's sums m (M[ξ] rows of TB): Aᵀ M A + bias. */
function transformOutput(m: usize, t0: i32, count: i32, bias: usize, hasBias: bool, y: usize): void {
  const xiBytes = (<usize>mStride()) << 2;
  const planeBytes = (<usize>(OH * OW)) << 2;
  // Filter by filter, so that each of the 16 positions' rows of M is read straight through.
  for (let f = 0; f < F; f++) {
    const src0 = m + ((<usize>(f * TB)) << 2);
    const y0 = y + <usize>f * planeBytes;
    const b = hasBias ? v128.load32_splat(bias + ((<usize>f) << 2)) : f32x4.splat(0);
    for (let k = 0; k < count; k += 4) {
      const t = t0 + k;
      const ty = t / TXP;
      const tx = t - ty * TXP;
      const ox = 2 * tx;
      if (ox >= OW) continue;
      const oy = 2 * ty;
      const src = src0 + ((<usize>k) << 2);
      const dst = y0 + ((<usize>(oy * OW + ox)) << 2);
      // Aᵀ on the rows (i) of M, column by column (j): a0j = m0j + m1j + m2j, a1j = m1j − m2j − m3j.
      let s = src;
      const m00 = v128.load(s);
      const m01 = v128.load((s += xiBytes));
      const m02 = v128.load((s += xiBytes));
      const m03 = v128.load((s += xiBytes));
      const m10 = v128.load((s += xiBytes));
      const m11 = v128.load((s += xiBytes));
      const m12 = v128.load((s += xiBytes));
      const m13 = v128.load((s += xiBytes));
      const m20 = v128.load((s += xiBytes));
      const m21 = v128.load((s += xiBytes));
      const m22 = v128.load((s += xiBytes));
      const m23 = v128.load((s += xiBytes));
      const m30 = v128.load((s += xiBytes));
      const m31 = v128.load((s += xiBytes));
      const m32 = v128.load((s += xiBytes));
      const m33 = v128.load((s += xiBytes));
      const a00 = f32x4.add(f32x4.add(m00, m10), m20);
      const a01 = f32x4.add(f32x4.add(m01, m11), m21);
      const a02 = f32x4.add(f32x4.add(m02, m12), m22);
      const a03 = f32x4.add(f32x4.add(m03, m13), m23);
      const a10 = f32x4.sub(f32x4.sub(m10, m20), m30);
      const a11 = f32x4.sub(f32x4.sub(m11, m21), m31);
      const a12 = f32x4.sub(f32x4.sub(m12, m22), m32);
      const a13 = f32x4.sub(f32x4.sub(m13, m23), m33);
      const y00 = f32x4.add(f32x4.add(f32x4.add(a00, a01), a02), b);
      const y01 = f32x4.add(f32x4.sub(f32x4.sub(a01, a02), a03), b);
      storePairs(dst, ox, y00, y01);
      if (oy + 1 < OH) {
        const y10 = f32x4.add(f32x4.add(f32x4.add(a10, a11), a12), b);
        const y11 = f32x4.add(f32x4.sub(f32x4.sub(a11, a12), a13), b);
        storePairs(dst + ((<usize>OW) << 2), ox, y10, y11);
      }
    }
  }
}

/**
 * Copies one image x[c, h, w] into the zero-bordered buffer at its padding offset; rows and columns no tile reads are
 * left out. The border is zeroed once per call: every image writes the same interior.
 */
export function copyPadded(x: usize, padded: usize): void {
  const rows = min(H, PHR - PAD_TOP);
  const cols = min(W, PW - PAD_LEFT);
  for (let c = 0; c < C; c++) {
    for (let r = 0; r < rows; r++) {
      copyRun(
        padded + ((<usize>(c * PS + (r + PAD_TOP) * PW + PAD_LEFT)) << 2),
        x + ((<usize>((c * H + r) * W)) << 2),
        cols,
      );
    }
  }
}

/** y = conv(x, kernel) + bias on the plan useWinograd() made; `scratch` holds winogradScratchFloats() floats. */
export function winogradForward(x: usize, kernel: usize, bias: usize, hasBias: bool, y: usize, scratch: usize): void {
  const padded = scratch;
  const u = padded + ((<usize>paddedFloats()) << 2);
  const v = u + ((<usize>transformedFloats()) << 2);
  const m = v + ((<usize>tileFloats()) << 2);
  transformKernel(kernel, u);
  // The border (and the columns past the image) stays zero: every image writes the same interior.
  memory.fill(padded, 0, (<usize>paddedFloats()) << 2);
  const uSliver = (<usize>(C * MR)) << 2;
  const vSliver = (<usize>(C * NR)) << 2;
  const ldc = (<usize>TB) << 2;
  for (let img = 0; img < N; img++) {
    const xi = x + ((<usize>(img * C * H * W)) << 2);
    const yi = y + ((<usize>(img * F * OH * OW)) << 2);
    copyPadded(xi, padded);
    for (let t0 = 0; t0 < TILES; t0 += TB) {
      const count = min(TB, TILES - t0);
      const used = (count + 7) >> 3;
      if (count & 7) {
        // Half of the last sliver has no tiles: zeros, so that its (unused) sums stay finite.
        for (let xi = 0; xi < 16; xi++) {
          let p = v + ((<usize>(xi * vStride() + (used - 1) * C * NR + 4)) << 2);
          for (let c = 0; c < C; c++, p += 32) v128.store(p, f32x4.splat(0));
        }
      }
      transformInput(padded, t0, count, v);
      for (let xi = 0; xi < 16; xi++) {
        const ux = u + <usize>(xi * (FP >> 2)) * uSliver;
        const vx = v + ((<usize>(xi * vStride())) << 2);
        const mx = m + ((<usize>(xi * mStride())) << 2);
        for (let j = 0; j < used; j++) {
          const b = vx + <usize>j * vSliver;
          for (let fs = 0; fs < FP >> 2; fs++) {
            microKernel(
              C,
              ux + <usize>fs * uSliver,
              b,
              mx + <usize>(fs * MR) * ldc + ((<usize>(j * NR)) << 2),
              ldc,
              MR,
              NR,
              false,
            );
          }
        }
      }
      transformOutput(m, t0, count, bias, hasBias, yi);
    }
  }
}
