/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.
import { C, F, H, KH, KW, N, OH, OW, PAD_LEFT, PAD_TOP, S, W } from './conv-geometry';
import { transposeStore } from './pack';
import { copyRun, madd } from './simd';

/**
 * The forward pass of a convolution without im2col: for every kernel tap (ci, ky, kx) a register tile loads the
 * input pixels it needs straight from the image, at a fixed byte offset (from a table) from each output pixel's
 * window corner. Images with padding are first copied into a zero-bordered buffer, one at a time, so that no load is
 * bounds-checked. The kernel is packed once per call and the bias starts the sums, so y is written once, whole
 * tiles at a time. Against im2col + GEMM: the same multiply-adds, but no column matrix written and packed per image
 * and no separate pass adding the bias. Two tile shapes, the plan picking per geometry:
 *
 * - PIXELS (stride 1): up to 4 filters × 8 (or 4) consecutive pixels of one output row, the pixels in the vector
 *   lanes: at stride 1 their inputs are contiguous, one load per tap. Filters need not come in fours. A row whose
 *   width is not a multiple of 8 ends with 4-pixel tiles, the last one overlapping its neighbour (it rewrites the
 *   same values), so every tile is full; narrow rows (LeNet's second convolution: 10 = 8 + 4 with 2 recomputed) waste
 *   some of it.
 * - FILTERS (filter count a multiple of 4, any stride): 8 (or 4) filters × 4 consecutive pixels of the flattened
 *   output map, the filters in the vector lanes and each pixel's input broadcast, so pixels may cross rows and
 *   nothing is wasted whatever the width; a 4×4 transpose per 4 filters turns the sums back into rows of y.
 */

/** The direct path takes kernels of at most this many floats (1 MB, packed: it stays in L2). */
const MAX_PACKED = 1 << 18;

/** Worked out by useDirectForward() from the geometry; valid until the next call. */
let FILTERS = false; // which tile shape (see above)
let K = 0; // taps per filter: C·KH·KW
let COPY = false; // the image is copied into a zero-bordered buffer first
let RS = 0; // row stride of the image the tiles read, in floats
let PH = 0; // rows of that image (padded height when copied)
let PS = 0; // plane stride of that image, in floats
let ROWS = 0; // PIXELS: output rows as the tiles walk them, 1 when rows are contiguous in both x and y
let WIDTH = 0; // PIXELS: output pixels per walked row

/** Floats of scratch per part, each a multiple of 16 (64-byte aligned parts). */
function packedFloats(): i32 {
  return (F * K + 15) & ~15;
}
function biasFloats(): i32 {
  return (F + 15) & ~15;
}
function offsetInts(): i32 {
  return (K + 15) & ~15;
}
function paddedFloats(): i32 {
  return COPY ? (C * PS + 15) & ~15 : 0;
}

/** Pixels PIXELS tiles compute per row of `width`: 8 at a time, then a 4, then an overlapping 4. */
function computedWidth(width: i32): i32 {
  const rest = width & 7;
  return (width & ~7) + (rest >= 4 ? 4 : 0) + (rest & 3 ? 4 : 0);
}

/** Whether the direct path takes the current geometry; plans it (the globals above) as a side effect. */
export function useDirectForward(): bool {
  if (N <= 0 || F <= 0 || OH <= 0 || OW <= 0) return false;
  K = C * KH * KW;
  if (K <= 0 || <i64>F * <i64>K > MAX_PACKED) return false;
  // The windows of OH×OW outputs span (OH−1)·S+KH rows and (OW−1)·S+KW columns of the padded image.
  const spanRows = (OH - 1) * S + KH;
  const spanCols = (OW - 1) * S + KW;
  COPY = PAD_TOP != 0 || PAD_LEFT != 0 || spanRows > H || spanCols > W;
  RS = COPY ? spanCols : W;
  PH = COPY ? spanRows : H;
  PS = PH * RS;
  // When the image's rows are exactly as wide as the output's (stride 1, a kernel one column wide, no side
  // padding), output pixel q = oy·OW + ox reads q + offset in every plane: the whole map is one long row.
  const flat = S == 1 && RS == OW;
  ROWS = flat ? 1 : OH;
  WIDTH = flat ? OH * OW : OW;
  const pixels = S == 1 && WIDTH >= 4;
  const filters = (F & 3) == 0 && OH * OW >= 4;
  // PIXELS has no per-pixel address arithmetic, FILTERS no wasted pixels: take PIXELS unless it wastes over 10%.
  FILTERS = filters && (!pixels || WIDTH * 10 < computedWidth(WIDTH) * 9);
  return pixels || filters;
}

/** Which tile shape the plan took: 1 PIXELS, 2 FILTERS. */
export function directShape(): i32 {
  return FILTERS ? 2 : 1;
}

/** Floats of scratch the direct path needs for the geometry useDirectForward() last accepted. */
export function directScratchFloats(): i32 {
  return packedFloats() + biasFloats() + offsetInts() + paddedFloats();
}

/**
 * A tile of `rows` (1 to 4) filters × 8 pixels (4 when not `wide`). `a` walks the packed kernel (4 floats per tap),
 * `off` the taps' byte offsets from `src`, the tile's corner in the image; `bias` holds the tile's 4 biases; `dst`
 * is the first filter's first output pixel and `plane` the bytes between filters' output maps. Called through
 * inline.always with constant rows and wide, so that each shape compiles to its own loop without branches.
 */
function tile(
  rows: i32,
  wide: bool,
  k: i32,
  a: usize,
  off: usize,
  src: usize,
  bias: usize,
  dst: usize,
  plane: usize,
): void {
  let c00 = v128.load32_splat(bias);
  let c01 = c00;
  let c10 = rows > 1 ? v128.load32_splat(bias, 4) : c00;
  let c11 = c10;
  let c20 = rows > 2 ? v128.load32_splat(bias, 8) : c00;
  let c21 = c20;
  let c30 = rows > 3 ? v128.load32_splat(bias, 12) : c00;
  let c31 = c30;
  const end = off + ((<usize>k) << 2);
  for (; off < end; off += 4, a += (<usize>rows) << 2) {
    const s = src + <usize>load<i32>(off);
    const b0 = v128.load(s);
    const b1 = wide ? v128.load(s, 16) : b0;
    const a0 = v128.load32_splat(a);
    c00 = madd(a0, b0, c00);
    if (wide) c01 = madd(a0, b1, c01);
    if (rows > 1) {
      const a1 = v128.load32_splat(a, 4);
      c10 = madd(a1, b0, c10);
      if (wide) c11 = madd(a1, b1, c11);
    }
    if (rows > 2) {
      const a2 = v128.load32_splat(a, 8);
      c20 = madd(a2, b0, c20);
      if (wide) c21 = madd(a2, b1, c21);
    }
    if (rows > 3) {
      const a3 = v128.load32_splat(a, 12);
      c30 = madd(a3, b0, c30);
      if (wide) c31 = madd(a3, b1, c31);
    }
  }
  v128.store(dst, c00);
  if (wide) v128.store(dst, c01, 16);
  if (rows > 1) {
    v128.store(dst + plane, c10);
    if (wide) v128.store(dst + plane, c11, 16);
  }
  if (rows > 2) {
    v128.store(dst + 2 * plane, c20);
    if (wide) v128.store(dst + 2 * plane, c21, 16);
  }
  if (rows > 3) {
    v128.store(dst + 3 * plane, c30);
    if (wide) v128.store(dst + 3 * plane, c31, 16);
  }
}

/** Every filter tile over the 8 (or 4) pixels whose corner in the image is `src` and whose first output is `dst`. */
function pixels(wide: bool, packed: usize, biases: usize, offsets: usize, src: usize, dst: usize, plane: usize): void {
  let a = packed;
  let b = biases;
  let d = dst;
  for (let f = 0; f < F;) {
    const rows = tileRows(F - f);
    if (wide) {
      if (rows == 4) inline.always(tile(4, true, K, a, offsets, src, b, d, plane));
      else if (rows == 3) inline.always(tile(3, true, K, a, offsets, src, b, d, plane));
      else if (rows == 2) inline.always(tile(2, true, K, a, offsets, src, b, d, plane));
      else inline.always(tile(1, true, K, a, offsets, src, b, d, plane));
    } else {
      if (rows == 4) inline.always(tile(4, false, K, a, offsets, src, b, d, plane));
      else if (rows == 3) inline.always(tile(3, false, K, a, offsets, src, b, d, plane));
      else if (rows == 2) inline.always(tile(2, false, K, a, offsets, src, b, d, plane));
      else inline.always(tile(1, false, K, a, offsets, src, b, d, plane));
    }
    a += (<usize>(rows * K)) << 2;
    b += (<usize>rows) << 2;
    d += plane * rows;
    f += rows;
  }
}

/** Filters in the next tile when `left` remain: 4 at a time (6 as one tile spills registers, 3 + 3 is no faster). */
function tileRows(left: i32): i32 {
  return min(left, 4);
}

/**
 * FILTERS: 8 filters × 4 pixels (4 × 4 when `half`). Accumulator pJ (qJ) holds filters 0–3 (4–7) of pixel J, whose
 * window corner in the image is sJ; `a` walks the packed kernel (8 or 4 floats per tap) and `bias` the tile's biases.
 * `dst` is the first filter's first output pixel, the 4 pixels contiguous in each filter's map, `plane` bytes apart.
 */
function filterTile(
  half: bool,
  contiguous: bool,
  k: i32,
  a: usize,
  off: usize,
  s0: usize,
  s1: usize,
  s2: usize,
  s3: usize,
  bias: usize,
  dst: usize,
  plane: usize,
): void {
  let p0 = v128.load(bias);
  let p1 = p0;
  let p2 = p0;
  let p3 = p0;
  let q0 = half ? p0 : v128.load(bias, 16);
  let q1 = q0;
  let q2 = q0;
  let q3 = q0;
  const end = off + ((<usize>k) << 2);
  for (; off < end; off += 4, a += half ? 16 : 32) {
    const o = <usize>load<i32>(off);
    const w0 = v128.load(a);
    const w1 = half ? w0 : v128.load(a, 16);
    const x0 = v128.load32_splat(s0 + o);
    p0 = madd(w0, x0, p0);
    if (!half) q0 = madd(w1, x0, q0);
    const x1 = contiguous ? v128.load32_splat(s0 + o, 4) : v128.load32_splat(s1 + o);
    p1 = madd(w0, x1, p1);
    if (!half) q1 = madd(w1, x1, q1);
    const x2 = contiguous ? v128.load32_splat(s0 + o, 8) : v128.load32_splat(s2 + o);
    p2 = madd(w0, x2, p2);
    if (!half) q2 = madd(w1, x2, q2);
    const x3 = contiguous ? v128.load32_splat(s0 + o, 12) : v128.load32_splat(s3 + o);
    p3 = madd(w0, x3, p3);
    if (!half) q3 = madd(w1, x3, q3);
  }
  transposeStore(dst, plane, p0, p1, p2, p3);
  if (!half) transposeStore(dst + 4 * plane, plane, q0, q1, q2, q3);
}

/** Byte offset of output pixel q's window corner (its tap (0, 0, 0)) in the image the tiles read. */
function corner(q: i32): usize {
  return (<usize>((q / OW) * S * RS + (q % OW) * S)) << 2;
}

/** FILTERS over one image: 4 pixels at a time (the last 4 overlapping when the map is not a multiple of 4). */
function filtersImage(packed: usize, biases: usize, offsets: usize, src: usize, out: usize): void {
  const ohw = OH * OW;
  const plane = (<usize>ohw) << 2;
  const eightBytes = (<usize>K) << 5; // one 8-filter tile's packed kernel
  const eights = F >> 3;
  for (let q = 0; q < ohw; q += 4) {
    const q0 = min(q, ohw - 4);
    const s0 = src + corner(q0);
    const s1 = src + corner(q0 + 1);
    const s2 = src + corner(q0 + 2);
    const s3 = src + corner(q0 + 3);
    let a = packed;
    let b = biases;
    let d = out + ((<usize>q0) << 2);
    // Four pixels of one row at stride 1 read consecutive floats: constant offsets from the first one's address.
    if (S == 1 && s3 == s0 + 12) {
      for (let t = 0; t < eights; t++, a += eightBytes, b += 32, d += plane << 3) {
        inline.always(filterTile(false, true, K, a, offsets, s0, s1, s2, s3, b, d, plane));
      }
      if (F & 4) inline.always(filterTile(true, true, K, a, offsets, s0, s1, s2, s3, b, d, plane));
    } else {
      for (let t = 0; t < eights; t++, a += eightBytes, b += 32, d += plane << 3) {
        inline.always(filterTile(false, false, K, a, offsets, s0, s1, s2, s3, b, d, plane));
      }
      if (F & 4) inline.always(filterTile(true, false, K, a, offsets, s0, s1, s2, s3, b, d, plane));
    }
  }
}

/**
 * Copies image xi[c,h,w] into the zero-bordered buffer (whose border the caller zeroed once): pixel (iy, ix) to
 * (iy + padTop, ix + padLeft). A negative padding (the strided input gradient's phases, see wasm-kernels.ts) leaves
 * out the first rows or columns.
 */
function padImage(xi: usize, dst: usize): void {
  const y0 = max(0, -PAD_TOP);
  const x0 = max(0, -PAD_LEFT);
  const y1 = min(H, PH - PAD_TOP);
  const cols = min(W, RS - PAD_LEFT) - x0;
  if (y1 <= y0 || cols <= 0) return;
  for (let ci = 0; ci < C; ci++) {
    const from = xi + ((<usize>(ci * H * W + x0)) << 2);
    const to = dst + ((<usize>(ci * PS + PAD_LEFT + x0)) << 2);
    for (let iy = y0; iy < y1; iy++) {
      copyRun(to + ((<usize>((iy + PAD_TOP) * RS)) << 2), from + ((<usize>(iy * W)) << 2), cols);
    }
  }
}

/**
 * y = conv(x, kernel) + bias for the geometry useDirectForward() accepted; scratch holds directScratchFloats()
 * floats. Kernel layout [f, c·kh·kw].
 */
export function directForward(x: usize, kernel: usize, bias: usize, hasBias: bool, y: usize, scratch: usize): void {
  const packed = scratch;
  const biases = packed + ((<usize>packedFloats()) << 2);
  const offsets = biases + ((<usize>biasFloats()) << 2);
  const padded = offsets + ((<usize>offsetInts()) << 2);

  // The kernel, tile by tile (PIXELS: up to 4 filters; FILTERS: 8, then 4), the tile's filters side by side per tap.
  let dst = packed;
  for (let f0 = 0; f0 < F;) {
    const rows = FILTERS ? (F - f0 >= 8 ? 8 : 4) : tileRows(F - f0);
    for (let p = 0; p < K; p++) {
      for (let r = 0; r < rows; r++, dst += 4) store<f32>(dst, load<f32>(kernel + ((<usize>((f0 + r) * K + p)) << 2)));
    }
    f0 += rows;
  }
  for (let f = 0; f < F; f++) {
    store<f32>(biases + ((<usize>f) << 2), hasBias ? load<f32>(bias + ((<usize>f) << 2)) : 0);
  }
  // Tap (ci, ky, kx) reads the image at (ci, oy·S + ky, ox·S + kx): a fixed byte offset from the window's corner.
  let p = 0;
  for (let ci = 0; ci < C; ci++) {
    for (let ky = 0; ky < KH; ky++) {
      for (let kx = 0; kx < KW; kx++, p++) store<i32>(offsets + ((<usize>p) << 2), (ci * PS + ky * RS + kx) << 2);
    }
  }
  if (COPY) memory.fill(padded, 0, (<usize>(C * PS)) << 2);

  const ohw = OH * OW;
  const plane = (<usize>ohw) << 2;
  const rowBytes = (<usize>RS) << 2;
  const outRowBytes = (<usize>WIDTH) << 2;
  for (let img = 0; img < N; img++) {
    const xi = x + ((<usize>(img * C * H * W)) << 2);
    let src = xi;
    if (COPY) {
      padImage(xi, padded);
      src = padded;
    }
    let out = y + ((<usize>(img * F * ohw)) << 2);
    if (FILTERS) {
      filtersImage(packed, biases, offsets, src, out);
      continue;
    }
    for (let row = 0; row < ROWS; row++, src += rowBytes, out += outRowBytes) {
      let ox = 0;
      for (; ox + 8 <= WIDTH; ox += 8) {
        const o = (<usize>ox) << 2;
        pixels(true, packed, biases, offsets, src + o, out + o, plane);
      }
      if (ox < WIDTH && WIDTH - ox >= 4) {
        const o = (<usize>ox) << 2;
        pixels(false, packed, biases, offsets, src + o, out + o, plane);
        ox += 4;
      }
      if (ox < WIDTH) {
        // The last 1 to 3 pixels: a 4-pixel tile ending at the row's end, overlapping the previous tile.
        const o = (<usize>(WIDTH - 4)) << 2;
        pixels(false, packed, biases, offsets, src + o, out + o, plane);
      }
    }
  }
}
