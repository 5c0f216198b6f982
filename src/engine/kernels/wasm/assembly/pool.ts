/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.

/**
 * Max and average pooling over x[n,c,h,w] (PoolGeometry of ../../types.ts, set by setPoolGeometry). Windows are
 * clipped to the image: padding never wins a maximum nor counts in an average. argmax holds flat input indices
 * (-1 for a window that is all padding). The common 2×2, stride-2, unpadded window has a four-outputs-at-a-time path.
 */
let N = 0;
let C = 0;
let H = 0;
let W = 0;
let SIZE = 0;
let S = 1;
let PAD = 0;
let OH = 0;
let OW = 0;

export function setPoolGeometry(
  n: i32,
  c: i32,
  h: i32,
  w: i32,
  size: i32,
  stride: i32,
  pad: i32,
  oh: i32,
  ow: i32,
): void {
  N = n;
  C = c;
  H = h;
  W = w;
  SIZE = size;
  S = stride;
  PAD = pad;
  OH = oh;
  OW = ow;
}

function isPlain2x2(): bool {
  return SIZE == 2 && S == 2 && PAD == 0;
}

/** Byte address of float or int index i. */
function at(base: usize, i: i32): usize {
  return base + ((<usize>i) << 2);
}

export function maxPoolForward(x: usize, y: usize, argmax: usize): void {
  if (isPlain2x2()) {
    maxPool2x2(x, y, argmax);
    return;
  }
  let o = 0;
  for (let p = 0; p < N * C; p++) {
    const plane = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const ys = oy * S - PAD;
      const y0 = max(ys, 0);
      const y1 = min(ys + SIZE, H);
      for (let ox = 0; ox < OW; ox++, o++) {
        const xs = ox * S - PAD;
        const x0 = max(xs, 0);
        const x1 = min(xs + SIZE, W);
        let best: f32 = -Infinity;
        let win = -1;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const i = plane + iy * W + ix;
            const v = load<f32>(at(x, i));
            // Strict '>' keeps the first maximum (row-major order), as the reference, TensorFlow and PyTorch do.
            if (v > best || win < 0) {
              best = v;
              win = i;
            }
          }
        }
        store<f32>(at(y, o), win < 0 ? 0 : best);
        store<i32>(at(argmax, o), win);
      }
    }
  }
}

/**
 * Four outputs at a time: 8 consecutive floats of each of the two input rows split into even and odd columns give
 * the four cells of four windows; cells are compared in row-major order with a strict '>' like the general path.
 * A row whose width is not a multiple of 4 ends with a group overlapping the previous one (it rewrites the same
 * values) rather than a scalar tail: on activations (ReLU's zeros tie) the tail's comparisons are mispredicted so
 * often that LeNet's first pooling (14 outputs a row) took 1.7× as long with one. Rows narrower than 4 are scalar.
 */
function maxPool2x2(x: usize, y: usize, argmax: usize): void {
  for (let p = 0; p < N * C; p++) {
    for (let oy = 0; oy < OH; oy++) {
      const top = p * H * W + 2 * oy * W; // flat index of the window row's first pixel
      const row = (p * OH + oy) * OW; // flat index of the row's first output
      if (OW < 4) {
        for (let ox = 0; ox < OW; ox++) {
          let win = top + 2 * ox;
          let best = load<f32>(at(x, win));
          for (let d = 1; d < 4; d++) {
            const i = top + (d >> 1) * W + 2 * ox + (d & 1);
            const v = load<f32>(at(x, i));
            if (v > best) {
              best = v;
              win = i;
            }
          }
          store<f32>(at(y, row + ox), best);
          store<i32>(at(argmax, row + ox), win);
        }
        continue;
      }
      let ox = 0;
      for (; ox + 4 <= OW; ox += 4) maxPool2x2Four(x, y, argmax, top, row, ox);
      if (ox < OW) maxPool2x2Four(x, y, argmax, top, row, OW - 4);
    }
  }
}

/** Outputs ox..ox+3 of the output row starting at flat index `row`, whose windows start at input index `top`. */
function maxPool2x2Four(x: usize, y: usize, argmax: usize, top: i32, row: i32, ox: i32): void {
  const r0 = at(x, top + 2 * ox);
  const r1 = at(x, top + W + 2 * ox);
  const a0 = v128.load(r0);
  const a1 = v128.load(r0, 16);
  const b0 = v128.load(r1);
  const b1 = v128.load(r1, 16);
  const c0 = f32x4.shuffle(a0, a1, 0, 2, 4, 6);
  const c1 = f32x4.shuffle(a0, a1, 1, 3, 5, 7);
  const c2 = f32x4.shuffle(b0, b1, 0, 2, 4, 6);
  const c3 = f32x4.shuffle(b0, b1, 1, 3, 5, 7);
  // pmax(best, c) is best < c ? c : best, the strict '>' of the general path (NaN never wins, ties keep the earlier
  // cell); the masks record which cell last won, and its offset in the window (0, 1, W or W+1) follows from them.
  const m1 = f32x4.gt(c1, c0);
  let best = f32x4.pmax(c0, c1);
  const m2 = f32x4.gt(c2, best);
  best = f32x4.pmax(best, c2);
  const m3 = f32x4.gt(c3, best);
  best = f32x4.pmax(best, c3);
  const offset = v128.bitselect(
    i32x4.splat(W + 1),
    v128.bitselect(i32x4.splat(W), v128.and(m1, i32x4.splat(1)), m2),
    m3,
  );
  const first = i32x4.add(i32x4.splat(top + 2 * ox), i32x4(0, 2, 4, 6));
  v128.store(at(y, row + ox), best);
  v128.store(at(argmax, row + ox), i32x4.add(first, offset));
}

/**
 * dx = 0, then each output's gradient goes to the input that won its window. An index outside dx (only a corrupt
 * argmax has one) is skipped, as a typed-array write out of range is in the reference, rather than writing elsewhere.
 */
export function maxPoolBackward(dy: usize, argmax: usize, dx: usize): void {
  const inputs = N * C * H * W;
  memory.fill(dx, 0, (<usize>inputs) << 2);
  const total = N * C * OH * OW;
  for (let o = 0; o < total; o++) {
    const win = load<i32>(at(argmax, o));
    if (win >= 0 && win < inputs) store<f32>(at(dx, win), load<f32>(at(dx, win)) + load<f32>(at(dy, o)));
  }
}

export function avgPoolForward(x: usize, y: usize): void {
  if (isPlain2x2()) {
    avgPool2x2(x, y);
    return;
  }
  let o = 0;
  for (let p = 0; p < N * C; p++) {
    const plane = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const ys = oy * S - PAD;
      const y0 = max(ys, 0);
      const y1 = min(ys + SIZE, H);
      for (let ox = 0; ox < OW; ox++, o++) {
        const xs = ox * S - PAD;
        const x0 = max(xs, 0);
        const x1 = min(xs + SIZE, W);
        let s: f32 = 0;
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) s += load<f32>(at(x, plane + iy * W + ix));
        const count = (y1 - y0) * (x1 - x0);
        store<f32>(at(y, o), count > 0 ? s / <f32>count : 0);
      }
    }
  }
}

/** Four outputs at a time, the same even/odd split as maxPool2x2. */
function avgPool2x2(x: usize, y: usize): void {
  const quarter = f32x4.splat(0.25);
  let o = 0;
  for (let p = 0; p < N * C; p++) {
    for (let oy = 0; oy < OH; oy++) {
      const top = p * H * W + 2 * oy * W;
      let ox = 0;
      for (; ox + 4 <= OW; ox += 4, o += 4) {
        const r0 = at(x, top + 2 * ox);
        const r1 = at(x, top + W + 2 * ox);
        const a0 = v128.load(r0);
        const a1 = v128.load(r0, 16);
        const b0 = v128.load(r1);
        const b1 = v128.load(r1, 16);
        let s = f32x4.add(f32x4.shuffle(a0, a1, 0, 2, 4, 6), f32x4.shuffle(a0, a1, 1, 3, 5, 7));
        s = f32x4.add(s, f32x4.shuffle(b0, b1, 0, 2, 4, 6));
        s = f32x4.add(s, f32x4.shuffle(b0, b1, 1, 3, 5, 7));
        v128.store(at(y, o), f32x4.mul(s, quarter));
      }
      for (; ox < OW; ox++, o++) {
        const i = top + 2 * ox;
        const s = load<f32>(at(x, i)) + load<f32>(at(x, i + 1)) + load<f32>(at(x, i + W)) + load<f32>(at(x, i + W + 1));
        store<f32>(at(y, o), s * 0.25);
      }
    }
  }
}

/** dx = 0, then each output's gradient is shared equally by its window's in-bounds cells. */
export function avgPoolBackward(dy: usize, dx: usize): void {
  memory.fill(dx, 0, (<usize>(N * C * H * W)) << 2);
  if (isPlain2x2()) {
    avgPoolBackward2x2(dy, dx);
    return;
  }
  let o = 0;
  for (let p = 0; p < N * C; p++) {
    const plane = p * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const ys = oy * S - PAD;
      const y0 = max(ys, 0);
      const y1 = min(ys + SIZE, H);
      for (let ox = 0; ox < OW; ox++, o++) {
        const xs = ox * S - PAD;
        const x0 = max(xs, 0);
        const x1 = min(xs + SIZE, W);
        const count = (y1 - y0) * (x1 - x0);
        if (count == 0) continue;
        const share = load<f32>(at(dy, o)) / <f32>count;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const q = at(dx, plane + iy * W + ix);
            store<f32>(q, load<f32>(q) + share);
          }
        }
      }
    }
  }
}

/** Non-overlapping 2×2 windows: each input cell gets a quarter of one output's gradient, written not added. */
function avgPoolBackward2x2(dy: usize, dx: usize): void {
  const quarter = f32x4.splat(0.25);
  let o = 0;
  for (let p = 0; p < N * C; p++) {
    for (let oy = 0; oy < OH; oy++) {
      const top = p * H * W + 2 * oy * W;
      let ox = 0;
      for (; ox + 4 <= OW; ox += 4, o += 4) {
        const s = f32x4.mul(v128.load(at(dy, o)), quarter);
        const lo = f32x4.shuffle(s, s, 0, 0, 1, 1);
        const hi = f32x4.shuffle(s, s, 2, 2, 3, 3);
        const r0 = at(dx, top + 2 * ox);
        const r1 = at(dx, top + W + 2 * ox);
        v128.store(r0, lo);
        v128.store(r0, hi, 16);
        v128.store(r1, lo);
        v128.store(r1, hi, 16);
      }
      for (; ox < OW; ox++, o++) {
        const share = load<f32>(at(dy, o)) * 0.25;
        const i = top + 2 * ox;
        store<f32>(at(dx, i), share);
        store<f32>(at(dx, i + 1), share);
        store<f32>(at(dx, i + W), share);
        store<f32>(at(dx, i + W + 1), share);
      }
    }
  }
}
