/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.
import { C, F, H, KH, KW, N, OH, OW, PAD_LEFT, PAD_TOP, S, W } from './conv-geometry';
import { copyRun, madd, sum } from './simd';

/**
 * The kernel gradient at stride 1 without im2col: dKernel[f, tap] += Σ over images and output pixels of
 * dy[f, pixel] · x[tap's input for that pixel]. A register tile holds 4 filters × 2 taps in 8 f32x4 accumulators
 * whose lanes are 4 consecutive output pixels of a row: one load of dy per filter and one of the image per tap
 * (stride 1: the 4 pixels' inputs are contiguous) feed 8 multiply-adds. The lanes are summed once, at the end.
 *
 * The image is copied into a zero-bordered buffer, and dy into rows padded with zeros to a multiple of 4 pixels,
 * so that every load is a whole vector and no lane is bounds-checked: a padded dy lane is 0 and adds nothing.
 * Against im2col + GEMM: the same multiply-adds, without writing a column matrix per image and packing it again.
 */

let OWP = 0; // floats per row of padded dy: OW rounded up to 4, or RSX when FLAT
let RSX = 0; // row stride of the padded image, in floats
let PSX = 0; // plane stride of the padded image
let KT = 0; // taps per filter: C·KH·KW
let FLAT = false; // dy rows padded to the image's row stride: one loop over the whole map (see useDirectBackwardFilter)
let DYP = 0; // floats per filter of padded dy, a multiple of 4

function up16(n: i32): i32 {
  return (n + 15) & ~15;
}

/** Whether the direct kernel gradient takes the current geometry (stride 1, rows not mostly padding); plans it. */
export function useDirectBackwardFilter(): bool {
  if (S != 1 || N <= 0 || F <= 0 || OH <= 0 || OW <= 0) return false;
  KT = C * KH * KW;
  if (KT <= 0) return false;
  // FLAT: dy's rows padded with zeros to the padded image's row stride, so that pixel p of dy and its input for a tap
  // are the same distance apart all over the map, and one loop of 4-pixel steps walks the whole map (a loop per row
  // of 14 or 16 pixels is mostly overhead). It computes KW − 1 wasted lanes a row, so rows short against the kernel
  // (4 pixels of a 3-wide kernel: 6 lanes) are padded to 4 pixels instead, each row its own loop.
  const rsFlat = OW + KW - 1;
  const owp = (OW + 3) & ~3;
  FLAT = rsFlat <= owp + (owp >> 2);
  OWP = FLAT ? rsFlat : owp;
  // Rows of 5 or 6 pixels would compute 8: more than a quarter wasted, im2col + GEMM does better.
  if (!FLAT && owp * 4 > OW * 5) return false;
  RSX = FLAT ? rsFlat : owp + KW - 1;
  PSX = (OH + KH - 1) * RSX;
  DYP = (OH * OWP + 3) & ~3;
  return true;
}

/**
 * Floats of scratch: the padded image (with a row of slack: FLAT's last steps read past its last row), the padded
 * dy of one image, the tap offsets and the 4-lane partial sums.
 */
export function directBackwardFilterScratch(): i32 {
  return up16(C * PSX + RSX + 4) + up16(F * DYP) + up16(KT) + F * KT * 4;
}

/**
 * `rows` (4 or 1) filters × `taps` (2 or 1) taps over one image. `dyb` is the first filter's padded dy, `plane` the
 * bytes between filters' padded dy; `x` the padded image; `o0`, `o1` the taps' byte offsets in it; `acc` the partial
 * sums of (first filter, first tap), `accRow` the bytes between filters' partial sums.
 */
function gradTile(
  rows: i32,
  taps: i32,
  flat: bool,
  dyb: usize,
  plane: usize,
  x: usize,
  o0: usize,
  o1: usize,
  acc: usize,
  accRow: usize,
): void {
  let a00 = v128.load(acc);
  let a01 = taps > 1 ? v128.load(acc, 16) : a00;
  let a10 = rows > 1 ? v128.load(acc + accRow) : a00;
  let a11 = rows > 1 && taps > 1 ? v128.load(acc + accRow, 16) : a00;
  let a20 = rows > 1 ? v128.load(acc + 2 * accRow) : a00;
  let a21 = rows > 1 && taps > 1 ? v128.load(acc + 2 * accRow, 16) : a00;
  let a30 = rows > 1 ? v128.load(acc + 3 * accRow) : a00;
  let a31 = rows > 1 && taps > 1 ? v128.load(acc + 3 * accRow, 16) : a00;
  const rowBytes = (<usize>OWP) << 2;
  const xRowBytes = (<usize>RSX) << 2;
  // FLAT: the whole padded map as one row (dy and the image share the row stride).
  const lines = flat ? 1 : OH;
  const lineBytes = flat ? (<usize>DYP) << 2 : rowBytes;
  let d = dyb;
  let xr = x;
  for (let oy = 0; oy < lines; oy++, d += rowBytes, xr += xRowBytes) {
    for (let o: usize = 0; o < lineBytes; o += 16) {
      const x0 = v128.load(xr + o + o0);
      const x1 = taps > 1 ? v128.load(xr + o + o1) : x0;
      const d0 = v128.load(d + o);
      a00 = madd(d0, x0, a00);
      if (taps > 1) a01 = madd(d0, x1, a01);
      if (rows > 1) {
        const d1 = v128.load(d + plane + o);
        a10 = madd(d1, x0, a10);
        if (taps > 1) a11 = madd(d1, x1, a11);
        const d2 = v128.load(d + 2 * plane + o);
        a20 = madd(d2, x0, a20);
        if (taps > 1) a21 = madd(d2, x1, a21);
        const d3 = v128.load(d + 3 * plane + o);
        a30 = madd(d3, x0, a30);
        if (taps > 1) a31 = madd(d3, x1, a31);
      }
    }
  }
  v128.store(acc, a00);
  if (taps > 1) v128.store(acc, a01, 16);
  if (rows > 1) {
    v128.store(acc + accRow, a10);
    v128.store(acc + 2 * accRow, a20);
    v128.store(acc + 3 * accRow, a30);
    if (taps > 1) {
      v128.store(acc + accRow, a11, 16);
      v128.store(acc + 2 * accRow, a21, 16);
      v128.store(acc + 3 * accRow, a31, 16);
    }
  }
}

/** dKernel += the kernel gradient, dBias += the sums of dy, for the geometry useDirectBackwardFilter() planned. */
export function directBackwardFilter(
  x: usize,
  dy: usize,
  dKernel: usize,
  dBias: usize,
  hasBias: bool,
  scratch: usize,
): void {
  const padded = scratch;
  const dyPad = padded + ((<usize>up16(C * PSX + RSX + 4)) << 2);
  const offsets = dyPad + ((<usize>up16(F * DYP)) << 2);
  const partial = offsets + ((<usize>up16(KT)) << 2);
  memory.fill(padded, 0, (<usize>(C * PSX + RSX + 4)) << 2);
  memory.fill(dyPad, 0, (<usize>(F * DYP)) << 2);
  memory.fill(partial, 0, (<usize>(F * KT * 4)) << 2);
  let t = 0;
  for (let ci = 0; ci < C; ci++) {
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++, t++) store<i32>(offsets + ((<usize>t) << 2), (ci * PSX + ky * RSX + kx) << 2);
    }
  }
  // Rows and columns of the image past the last window (a floor-mode output size) are not copied: never read.
  const rows = min(H, OH + KH - 1 - PAD_TOP);
  const cols = min(W, RSX - PAD_LEFT);
  const ohw = OH * OW;
  const plane = (<usize>DYP) << 2;
  const accRow = (<usize>(KT * 4)) << 2;
  for (let img = 0; img < N; img++) {
    const xi = x + ((<usize>(img * C * H * W)) << 2);
    const dyi = dy + ((<usize>(img * F * ohw)) << 2);
    for (let ci = 0; ci < C; ci++) {
      const from = xi + ((<usize>(ci * H * W)) << 2);
      const to = padded + ((<usize>(ci * PSX + PAD_TOP * RSX + PAD_LEFT)) << 2);
      for (let iy = 0; iy < rows; iy++) {
        copyRun(to + ((<usize>(iy * RSX)) << 2), from + ((<usize>(iy * W)) << 2), cols);
      }
    }
    for (let f = 0; f < F; f++) {
      for (let r = 0; r < OH; r++) {
        copyRun(dyPad + ((<usize>(f * DYP + r * OWP)) << 2), dyi + ((<usize>((f * OH + r) * OW)) << 2), OW);
      }
    }
    for (let f = 0; f < F;) {
      const four = F - f >= 4;
      const dyb = dyPad + <usize>f * plane;
      const accF = partial + <usize>f * accRow;
      let p = 0;
      for (; p + 2 <= KT; p += 2) {
        const o0 = <usize>load<i32>(offsets + ((<usize>p) << 2));
        const o1 = <usize>load<i32>(offsets + ((<usize>(p + 1)) << 2));
        const acc = accF + ((<usize>p) << 4);
        if (FLAT) {
          if (four) inline.always(gradTile(4, 2, true, dyb, plane, padded, o0, o1, acc, accRow));
          else inline.always(gradTile(1, 2, true, dyb, plane, padded, o0, o1, acc, accRow));
        } else {
          if (four) inline.always(gradTile(4, 2, false, dyb, plane, padded, o0, o1, acc, accRow));
          else inline.always(gradTile(1, 2, false, dyb, plane, padded, o0, o1, acc, accRow));
        }
      }
      if (p < KT) {
        const o0 = <usize>load<i32>(offsets + ((<usize>p) << 2));
        const acc = accF + ((<usize>p) << 4);
        if (four) inline.always(gradTile(4, 1, FLAT, dyb, plane, padded, o0, o0, acc, accRow));
        else inline.always(gradTile(1, 1, FLAT, dyb, plane, padded, o0, o0, acc, accRow));
      }
      f += four ? 4 : 1;
    }
    if (hasBias) {
      for (let f = 0; f < F; f++) {
        const b = dBias + ((<usize>f) << 2);
        store<f32>(b, load<f32>(b) + sum(dyi + ((<usize>(f * ohw)) << 2), ohw));
      }
    }
  }
  for (let i = 0; i < F * KT; i++) {
    const v = v128.load(partial + ((<usize>i) << 4));
    const s = f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
    const k = dKernel + ((<usize>i) << 2);
    store<f32>(k, load<f32>(k) + s);
  }
}
