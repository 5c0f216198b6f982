/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.
import { C, F, H, KH, KW, N, OH, OW, PAD_LEFT, PAD_TOP, S, W } from './conv-geometry';
import { copyRun, madd, sum } from './simd';

/**
 * The kernel gradient without im2col: dKernel[f, tap] += Σ over images and output pixels of dy[f, pixel] · x[tap's
 * input for that pixel]. A register tile holds 4 filters × 2 taps in 8 f32x4 accumulators whose lanes are 4
 * consecutive output pixels of a row: one load of dy per filter and one of the image per tap (the 4 pixels' inputs
 * are contiguous, see below) feed 8 multiply-adds. The lanes are summed once, at the end.
 *
 * The image is copied into a zero-bordered buffer, and dy into rows padded with zeros to a multiple of 4 pixels,
 * so that every load is a whole vector and no lane is bounds-checked: a padded dy lane is 0 and adds nothing.
 * Against im2col + GEMM: the same multiply-adds, without writing a column matrix per image and packing it again.
 *
 * At stride S the inputs of consecutive output pixels are S apart, so the padded image is split into phase planes
 * first: plane (py, px) of a channel holds the padded pixels (i·S + py, j·S + px). Tap (ky, kx) of output pixel
 * (oy, ox) then reads plane (ky mod S, kx mod S) at (oy + ky div S, ox + kx div S): contiguous again, and the loops
 * below are those of stride 1 (where there is one plane per channel, the padded image itself).
 */

let OWP = 0; // floats per row of padded dy: OW rounded up to 4, or RSX when FLAT
let RSX = 0; // row stride of a phase plane of the padded image, in floats
let PSX = 0; // floats per phase plane
let PY = 0; // phase planes per channel down (min(S, KH): phases no tap reads are left out) and across (PX)
let PX = 0;
let KT = 0; // taps per filter: C·KH·KW
let FLAT = false; // dy rows padded to the image's row stride: one loop over the whole map (see useDirectBackwardFilter)
let DYP = 0; // floats per filter of padded dy, a multiple of 4

function up16(n: i32): i32 {
  return (n + 15) & ~15;
}

/** Whether the direct kernel gradient takes the current geometry (rows not mostly padding); plans it. */
export function useDirectBackwardFilter(): bool {
  if (N <= 0 || F <= 0 || OH <= 0 || OW <= 0) return false;
  KT = C * KH * KW;
  if (KT <= 0) return false;
  PY = min(S, KH);
  PX = min(S, KW);
  // Taps reach this many rows (columns) past a pixel's own in its phase plane.
  const reachY = (KH - 1) / S;
  const reachX = (KW - 1) / S;
  // FLAT: dy's rows padded with zeros to the padded image's row stride, so that pixel p of dy and its input for a tap
  // are the same distance apart all over the map, and one loop of 4-pixel steps walks the whole map (a loop per row
  // of 14 or 16 pixels is mostly overhead). It computes KW − 1 wasted lanes a row, so rows short against the kernel
  // (4 pixels of a 3-wide kernel: 6 lanes) are padded to 4 pixels instead, each row its own loop.
  const rsFlat = OW + reachX;
  const owp = (OW + 3) & ~3;
  FLAT = rsFlat <= owp + (owp >> 2);
  OWP = FLAT ? rsFlat : owp;
  // Rows of 5 or 6 pixels would compute 8: more than a quarter wasted, im2col + GEMM does better.
  if (!FLAT && owp * 4 > OW * 5) return false;
  RSX = FLAT ? rsFlat : owp + reachX;
  PSX = (OH + reachY) * RSX;
  DYP = (OH * OWP + 3) & ~3;
  return true;
}

/** Floats of the phase planes of one image, with a row of slack: FLAT's last steps read past the last row. */
function imageFloats(): i32 {
  return C * PY * PX * PSX + RSX + 4;
}

/** Floats of scratch: the phase planes of one image, the padded dy of one image, the tap offsets, the partial sums. */
export function directBackwardFilterScratch(): i32 {
  return up16(imageFloats()) + up16(F * DYP) + up16(KT) + F * KT * 4;
}

/**
 * Copies image xi[c,h,w] into its phase planes (zeroed once by the caller): plane (py, px) of channel ci gets the
 * pixels x[i·S + py − padTop, j·S + px − padLeft] that are inside the image. Pixels no tap reads (past the last
 * window) are left out. At stride 1 this is one plane per channel, row by row.
 */
function copyPhases(xi: usize, planes: usize): void {
  const rowsNeeded = OH + (KH - 1) / S;
  for (let ci = 0; ci < C; ci++) {
    const from = xi + ((<usize>(ci * H * W)) << 2);
    for (let py = 0; py < PY; py++) {
      for (let px = 0; px < PX; px++) {
        const plane = planes + ((<usize>(((ci * PY + py) * PX + px) * PSX)) << 2);
        // Plane columns j whose image column j·S + px − padLeft lies in [0, W), within the plane's row.
        const off = px - PAD_LEFT;
        const j0 = off >= 0 ? 0 : (-off + S - 1) / S;
        const j1 = min(RSX, off >= W ? 0 : (W - 1 - off) / S + 1);
        if (j1 <= j0) continue;
        for (let i = 0; i < rowsNeeded; i++) {
          const iy = i * S + py - PAD_TOP;
          if (iy < 0 || iy >= H) continue;
          const dst = plane + ((<usize>(i * RSX)) << 2);
          const src = from + ((<usize>(iy * W + off)) << 2);
          if (S == 1) {
            copyRun(dst + ((<usize>j0) << 2), src + ((<usize>j0) << 2), j1 - j0);
          } else {
            for (let j = j0; j < j1; j++) store<f32>(dst + ((<usize>j) << 2), load<f32>(src + ((<usize>(j * S)) << 2)));
          }
        }
      }
    }
  }
}

/**
 * `rows` (4, 2 or 1) filters × `taps` (2 or 1) taps over one image. `dyb` is the first filter's padded dy, `plane` the
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
  let a20 = rows > 2 ? v128.load(acc + 2 * accRow) : a00;
  let a21 = rows > 2 && taps > 1 ? v128.load(acc + 2 * accRow, 16) : a00;
  let a30 = rows > 2 ? v128.load(acc + 3 * accRow) : a00;
  let a31 = rows > 2 && taps > 1 ? v128.load(acc + 3 * accRow, 16) : a00;
  const rowBytes = (<usize>OWP) << 2;
  const xRowBytes = (<usize>RSX) << 2;
  // FLAT: the whole padded map as one row (dy and the image share the row stride).
  const lines = flat ? 1 : OH;
  const lineBytes = flat ? (<usize>DYP) << 2 : rowBytes;
  let d = dyb;
  let xr = x;
  for (let oy = 0; oy < lines; oy++, d += rowBytes, xr += xRowBytes) {
    // One pointer per stream, each stepped by a vector: no address arithmetic left in the loop but the steps.
    let p0 = xr + o0;
    let p1 = xr + o1;
    let q0 = d;
    let q1 = d + plane;
    let q2 = d + 2 * plane;
    let q3 = d + 3 * plane;
    const stop = d + lineBytes;
    for (; q0 < stop; p0 += 16, p1 += 16, q0 += 16, q1 += 16, q2 += 16, q3 += 16) {
      const x0 = v128.load(p0);
      const x1 = taps > 1 ? v128.load(p1) : x0;
      const d0 = v128.load(q0);
      a00 = madd(d0, x0, a00);
      if (taps > 1) a01 = madd(d0, x1, a01);
      if (rows > 1) {
        const d1 = v128.load(q1);
        a10 = madd(d1, x0, a10);
        if (taps > 1) a11 = madd(d1, x1, a11);
      }
      if (rows > 2) {
        const d2 = v128.load(q2);
        a20 = madd(d2, x0, a20);
        if (taps > 1) a21 = madd(d2, x1, a21);
        const d3 = v128.load(q3);
        a30 = madd(d3, x0, a30);
        if (taps > 1) a31 = madd(d3, x1, a31);
      }
    }
  }
  v128.store(acc, a00);
  if (taps > 1) v128.store(acc, a01, 16);
  if (rows > 1) {
    v128.store(acc + accRow, a10);
    if (taps > 1) v128.store(acc + accRow, a11, 16);
  }
  if (rows > 2) {
    v128.store(acc + 2 * accRow, a20);
    v128.store(acc + 3 * accRow, a30);
    if (taps > 1) {
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
  const dyPad = padded + ((<usize>up16(imageFloats())) << 2);
  const offsets = dyPad + ((<usize>up16(F * DYP)) << 2);
  const partial = offsets + ((<usize>up16(KT)) << 2);
  memory.fill(padded, 0, (<usize>imageFloats()) << 2);
  memory.fill(dyPad, 0, (<usize>(F * DYP)) << 2);
  memory.fill(partial, 0, (<usize>(F * KT * 4)) << 2);
  let t = 0;
  for (let ci = 0; ci < C; ci++) {
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++, t++) {
        const plane = ((ci * PY + (ky % S)) * PX + (kx % S)) * PSX;
        store<i32>(offsets + ((<usize>t) << 2), (plane + (ky / S) * RSX + kx / S) << 2);
      }
    }
  }
  const ohw = OH * OW;
  const plane = (<usize>DYP) << 2;
  const accRow = (<usize>(KT * 4)) << 2;
  for (let img = 0; img < N; img++) {
    const xi = x + ((<usize>(img * C * H * W)) << 2);
    const dyi = dy + ((<usize>(img * F * ohw)) << 2);
    copyPhases(xi, padded);
    for (let f = 0; f < F; f++) {
      for (let r = 0; r < OH; r++) {
        copyRun(dyPad + ((<usize>(f * DYP + r * OWP)) << 2), dyi + ((<usize>((f * OH + r) * OW)) << 2), OW);
      }
    }
    // Tiles of 4 filters, then 2, then 1 (LeNet's 6 filters: 4 + 2). Each (filter, tap) keeps its own accumulator
    // over the same pixels in the same order whatever the tile, so the tile sizes change the speed, not the sums.
    for (let f = 0; f < F;) {
      const rows = F - f >= 4 ? 4 : F - f >= 2 ? 2 : 1;
      const dyb = dyPad + <usize>f * plane;
      const accF = partial + <usize>f * accRow;
      let p = 0;
      for (; p + 2 <= KT; p += 2) {
        const o0 = <usize>load<i32>(offsets + ((<usize>p) << 2));
        const o1 = <usize>load<i32>(offsets + ((<usize>(p + 1)) << 2));
        const acc = accF + ((<usize>p) << 4);
        if (FLAT) {
          if (rows == 4) inline.always(gradTile(4, 2, true, dyb, plane, padded, o0, o1, acc, accRow));
          else if (rows == 2) inline.always(gradTile(2, 2, true, dyb, plane, padded, o0, o1, acc, accRow));
          else inline.always(gradTile(1, 2, true, dyb, plane, padded, o0, o1, acc, accRow));
        } else {
          if (rows == 4) inline.always(gradTile(4, 2, false, dyb, plane, padded, o0, o1, acc, accRow));
          else if (rows == 2) inline.always(gradTile(2, 2, false, dyb, plane, padded, o0, o1, acc, accRow));
          else inline.always(gradTile(1, 2, false, dyb, plane, padded, o0, o1, acc, accRow));
        }
      }
      if (p < KT) {
        const o0 = <usize>load<i32>(offsets + ((<usize>p) << 2));
        const acc = accF + ((<usize>p) << 4);
        if (rows == 4) inline.always(gradTile(4, 1, FLAT, dyb, plane, padded, o0, o0, acc, accRow));
        else if (rows == 2) inline.always(gradTile(2, 1, FLAT, dyb, plane, padded, o0, o0, acc, accRow));
        else inline.always(gradTile(1, 1, FLAT, dyb, plane, padded, o0, o0, acc, accRow));
      }
      f += rows;
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
