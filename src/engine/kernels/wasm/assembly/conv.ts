/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.
import { C, F, H, KH, KW, N, OH, OW, PAD_LEFT, PAD_TOP, S, W } from './conv-geometry';
import { directForward, directScratchFloats, directShape, useDirectForward } from './direct';
import { directBackwardFilter, directBackwardFilterScratch, useDirectBackwardFilter } from './filter-grad';
import { gemmStrided } from './gemm';
import { addInto, addScalar, copyRun, sum } from './simd';
import { useWinograd, winogradForward, winogradScratchFloats } from './winograd';
import { winogradBackwardFilter, winogradFilterFits, winogradFilterScratchFloats } from './winograd-filter';

/** The kernel gradient by Winograd F(3×3, 2×2) (winograd-filter.ts) on the forward pass's Winograd plan. */
function useWinogradFilter(): bool {
  return useWinograd() && winogradFilterFits();
}

/**
 * Convolution lowered to GEMM through im2col, image by image, into one column buffer the caller reuses; the forward
 * pass goes to direct.ts instead whenever its plan takes the geometry. Layouts: x[n,c,h,w], kernel[f, c·kh·kw], y
 * and dy[n,f,oh,ow], col[c·kh·kw, oh·ow].
 */

/** A 1×1, stride-1, unpadded convolution: the image already is its own column matrix, so im2col is skipped. */
function isPointwise(): bool {
  return KH == 1 && KW == 1 && S == 1 && PAD_TOP == 0 && PAD_LEFT == 0 && OH == H && OW == W;
}

/** First output column whose input column ox·S + off is ≥ 0. */
function firstInside(off: i32): i32 {
  return off >= 0 ? 0 : (-off + S - 1) / S;
}

/** One past the last output column whose input column ox·S + off is < W (at most OW). */
function endInside(off: i32): i32 {
  const last = W - 1 - off;
  return last < 0 ? 0 : min(OW, last / S + 1);
}

/**
 * Unfolds one image x[c,h,w] into col: row (ci, ky, kx) holds x[ci, oy·S + ky − padTop, ox·S + kx − padLeft] for
 * every output (oy, ox), or 0 in the padding. Each output row splits into a zero run, an in-bounds run (a straight
 * copy at stride 1) and a zero run, so no pixel is bounds-tested.
 */
function im2col(x: usize, col: usize): void {
  const owBytes = (<usize>OW) << 2;
  let dst = col;
  for (let ci = 0; ci < C; ci++) {
    const plane = x + ((<usize>(ci * H * W)) << 2);
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++) {
        const off = kx - PAD_LEFT;
        const ox0 = firstInside(off);
        const ox1 = max(endInside(off), ox0);
        for (let oy = 0; oy < OH; oy++, dst += owBytes) {
          const iy = oy * S + ky - PAD_TOP;
          if (iy < 0 || iy >= H) {
            memory.fill(dst, 0, owBytes);
            continue;
          }
          const src = plane + ((<usize>(iy * W)) << 2);
          if (ox0 > 0) memory.fill(dst, 0, (<usize>ox0) << 2);
          if (ox1 < OW) memory.fill(dst + ((<usize>ox1) << 2), 0, (<usize>(OW - ox1)) << 2);
          if (S == 1) {
            copyRun(dst + ((<usize>ox0) << 2), src + ((<usize>(ox0 + off)) << 2), ox1 - ox0);
          } else {
            for (let ox = ox0; ox < ox1; ox++) {
              store<f32>(dst + ((<usize>ox) << 2), load<f32>(src + ((<usize>(ox * S + off)) << 2)));
            }
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: adds every column entry back onto the pixel of dx[c,h,w] it was read from. */
function col2im(col: usize, dx: usize): void {
  const owBytes = (<usize>OW) << 2;
  let src = col;
  for (let ci = 0; ci < C; ci++) {
    const plane = dx + ((<usize>(ci * H * W)) << 2);
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++) {
        const off = kx - PAD_LEFT;
        const ox0 = firstInside(off);
        const ox1 = max(endInside(off), ox0);
        for (let oy = 0; oy < OH; oy++, src += owBytes) {
          const iy = oy * S + ky - PAD_TOP;
          if (iy < 0 || iy >= H) continue;
          const dst = plane + ((<usize>(iy * W)) << 2);
          if (S == 1) {
            addInto(dst + ((<usize>(ox0 + off)) << 2), src + ((<usize>ox0) << 2), ox1 - ox0);
          } else {
            for (let ox = ox0; ox < ox1; ox++) {
              const p = dst + ((<usize>(ox * S + off)) << 2);
              store<f32>(p, load<f32>(p) + load<f32>(src + ((<usize>ox) << 2)));
            }
          }
        }
      }
    }
  }
}

/**
 * Writes one phase of a strided input gradient into place: src[p, i, j] (planes × hq × wq) goes to
 * dst[p, i·s + ry, j·s + rx] (planes × h × w), or zeros do when `zero`. See wasm-kernels.ts.
 */
export function scatterPhase(
  src: usize,
  dst: usize,
  zero: bool,
  planes: i32,
  hq: i32,
  wq: i32,
  h: i32,
  w: i32,
  s: i32,
  ry: i32,
  rx: i32,
): void {
  const stepBytes = (<usize>s) << 2;
  let from = src;
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < hq; i++) {
      let to = dst + ((<usize>((p * h + i * s + ry) * w + rx)) << 2);
      if (zero) {
        for (let j = 0; j < wq; j++, to += stepBytes) store<f32>(to, 0);
      } else {
        for (let j = 0; j < wq; j++, to += stepBytes, from += 4) store<f32>(to, load<f32>(from));
      }
    }
  }
}

/**
 * The path conv2dForward takes for the geometry just set: 0 im2col + GEMM, 1 direct PIXELS, 2 direct FILTERS,
 * 3 Winograd F(2×2, 3×3) (winograd.ts: 3×3, stride 1, at least 16 channels).
 */
export function conv2dForwardPath(): i32 {
  if (useWinograd()) return 3;
  return useDirectForward() ? directShape() : 0;
}

/**
 * Floats of scratch (`col`) conv2dForward needs for the geometry just set: direct.ts's packed kernel and padded
 * image, or im2col's column matrix for one image.
 */
export function conv2dForwardScratch(): i32 {
  if (useWinograd()) return winogradScratchFloats();
  return useDirectForward() ? directScratchFloats() : C * KH * KW * OH * OW;
}

/**
 * y = conv(x, kernel) + bias: direct.ts when its plan takes the geometry (most convolutions: see there), otherwise
 * im2col + GEMM, image by image: out[f × oh·ow] = kernel[f × ckk] · col[ckk × oh·ow]. `col` holds
 * conv2dForwardScratch() floats.
 */
export function conv2dForward(x: usize, kernel: usize, bias: usize, hasBias: bool, y: usize, col: usize): void {
  if (useWinograd()) {
    winogradForward(x, kernel, bias, hasBias, y, col);
    return;
  }
  if (useDirectForward()) {
    directForward(x, kernel, bias, hasBias, y, col);
    return;
  }
  const ckk = C * KH * KW;
  const ohw = OH * OW;
  const pointwise = isPointwise();
  for (let img = 0; img < N; img++) {
    const xi = x + ((<usize>(img * C * H * W)) << 2);
    const yi = y + ((<usize>(img * F * ohw)) << 2);
    if (!pointwise) im2col(xi, col);
    gemmStrided(F, ohw, ckk, kernel, ckk, false, pointwise ? xi : col, ohw, false, yi, ohw, false);
    if (hasBias) {
      for (let f = 0; f < F; f++) addScalar(yi + ((<usize>(f * ohw)) << 2), load<f32>(bias + ((<usize>f) << 2)), ohw);
    }
  }
}

/** dx = col2im(kernelᵀ · dy), image by image: dcol[ckk × oh·ow] = kernelᵀ[ckk × f] · dy[f × oh·ow]. */
export function conv2dBackwardInput(dy: usize, kernel: usize, dx: usize, col: usize): void {
  const ckk = C * KH * KW;
  const ohw = OH * OW;
  const pointwise = isPointwise();
  memory.fill(dx, 0, (<usize>(N * C * H * W)) << 2);
  for (let img = 0; img < N; img++) {
    const dyi = dy + ((<usize>(img * F * ohw)) << 2);
    const dxi = dx + ((<usize>(img * C * H * W)) << 2);
    gemmStrided(ckk, ohw, F, kernel, ckk, true, dyi, ohw, false, pointwise ? dxi : col, ohw, false);
    if (!pointwise) col2im(col, dxi);
  }
}

/**
 * The path conv2dBackwardFilter takes for the geometry just set: 0 im2col + GEMM, 1 direct (filter-grad.ts),
 * 2 Winograd F(3×3, 2×2) (winograd-filter.ts).
 */
export function conv2dBackwardFilterPath(): i32 {
  if (useWinogradFilter()) return 2;
  return useDirectBackwardFilter() ? 1 : 0;
}

/** Floats of scratch (`col`) conv2dBackwardFilter needs for the geometry just set. */
export function conv2dBackwardFilterScratch(): i32 {
  if (useWinogradFilter()) return winogradFilterScratchFloats();
  return useDirectBackwardFilter() ? directBackwardFilterScratch() : C * KH * KW * OH * OW;
}

/**
 * dKernel += dy · im2col(x)ᵀ and dBias += the sums of dy: filter-grad.ts when it takes the geometry, otherwise image by image
 * through im2col + GEMM, [f × ckk] += [f × oh·ow] · [oh·ow × ckk]. `col` holds conv2dBackwardFilterScratch() floats.
 */
export function conv2dBackwardFilter(
  x: usize,
  dy: usize,
  dKernel: usize,
  dBias: usize,
  hasBias: bool,
  col: usize,
): void {
  if (useWinogradFilter()) {
    winogradBackwardFilter(x, dy, dKernel, dBias, hasBias, col);
    return;
  }
  if (useDirectBackwardFilter()) {
    directBackwardFilter(x, dy, dKernel, dBias, hasBias, col);
    return;
  }
  const ckk = C * KH * KW;
  const ohw = OH * OW;
  const pointwise = isPointwise();
  for (let img = 0; img < N; img++) {
    const xi = x + ((<usize>(img * C * H * W)) << 2);
    const dyi = dy + ((<usize>(img * F * ohw)) << 2);
    if (!pointwise) im2col(xi, col);
    gemmStrided(F, ckk, ohw, dyi, ohw, false, pointwise ? xi : col, ohw, true, dKernel, ckk, true);
    if (hasBias) {
      for (let f = 0; f < F; f++) {
        const p = dBias + ((<usize>f) << 2);
        store<f32>(p, load<f32>(p) + sum(dyi + ((<usize>(f * ohw)) << 2), ohw));
      }
    }
  }
}
