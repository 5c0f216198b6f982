import { batchNormBackward, batchNormForward } from './batchnorm';
import { gemm } from './gemm';
import { col2im, im2col } from './im2col';
import { reluBackward, reluForward } from './relu';
import type { ConvGeometry, Kernels, PoolGeometry, ReluGate } from './types';
import { adamUpdate, allFinite, momentumUpdate, sgdUpdate, sumParts } from './update';

/**
 * A buffer grown on demand and reused between calls, so that a training step does not allocate one per image;
 * each call returns exactly `size` floats of it.
 */
function scratchBuffer(): (size: number) => Float32Array {
  let buffer = new Float32Array(0);
  return (size) => {
    if (buffer.length < size) buffer = new Float32Array(size);
    return buffer.length === size ? buffer : buffer.subarray(0, size);
  };
}
/** im2col's column matrices: forward and input gradient share one, the kernel gradient has its own. */
const colBuffer = scratchBuffer();
const colBuffer2 = scratchBuffer();
/** Where a ReLU-gated dy goes when the caller does not want it back. */
const gateBuffer = scratchBuffer();

function conv2dForward(
  g: ConvGeometry,
  x: Float32Array,
  kernel: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  relu = false,
): void {
  const ckk = g.c * g.kh * g.kw;
  const ohw = g.oh * g.ow;
  const col = colBuffer(ckk * ohw);
  for (let n = 0; n < g.n; n++) {
    im2col(g, x, n * g.c * g.h * g.w, col);
    const out = y.subarray(n * g.f * ohw, (n + 1) * g.f * ohw);
    // out[f × ohw] = kernel[f × ckk] · col[ckk × ohw]
    gemm(g.f, ohw, ckk, kernel, false, col, false, out, false);
    if (bias) {
      for (let f = 0; f < g.f; f++) {
        const b = bias[f];
        for (let i = f * ohw, e = i + ohw; i < e; i++) out[i] += b;
      }
    }
  }
  if (relu) {
    const all = y.subarray(0, g.n * g.f * ohw);
    reluForward(all, all);
  }
}

function conv2dBackwardInput(g: ConvGeometry, dy: Float32Array, kernel: Float32Array, dx: Float32Array): void {
  const ckk = g.c * g.kh * g.kw;
  const ohw = g.oh * g.ow;
  const col = colBuffer(ckk * ohw);
  dx.fill(0);
  for (let n = 0; n < g.n; n++) {
    // dcol[ckk × ohw] = kernelᵀ[ckk × f] · dy[f × ohw], then fold the columns back onto the image.
    gemm(ckk, ohw, g.f, kernel, true, dy.subarray(n * g.f * ohw, (n + 1) * g.f * ohw), false, col, false);
    col2im(g, col, dx, n * g.c * g.h * g.w);
  }
}

function conv2dBackwardFilter(
  g: ConvGeometry,
  x: Float32Array,
  dy: Float32Array,
  dKernel: Float32Array,
  dBias: Float32Array | null,
  relu: ReluGate | null = null,
): void {
  const ckk = g.c * g.kh * g.kw;
  const ohw = g.oh * g.ow;
  if (relu) {
    const count = g.n * g.f * ohw;
    const gated = relu.gated ?? gateBuffer(count);
    reluBackward(relu.output, dy.subarray(0, count), gated);
    dy = gated;
  }
  const col = colBuffer2(ckk * ohw);
  for (let n = 0; n < g.n; n++) {
    im2col(g, x, n * g.c * g.h * g.w, col);
    const d = dy.subarray(n * g.f * ohw, (n + 1) * g.f * ohw);
    // dKernel[f × ckk] += dy[f × ohw] · colᵀ[ohw × ckk]
    gemm(g.f, ckk, ohw, d, false, col, true, dKernel, true);
    if (dBias) {
      for (let f = 0; f < g.f; f++) {
        let s = 0;
        for (let i = f * ohw, e = i + ohw; i < e; i++) s += d[i];
        dBias[f] += s;
      }
    }
  }
}

/** Visits every output cell with its window clipped to the input: (plane offset, output index, y0, y1, x0, x1). */
function forEachWindow(
  g: PoolGeometry,
  visit: (inPlane: number, outIdx: number, y0: number, y1: number, x0: number, x1: number) => void,
): void {
  const planes = g.n * g.c;
  for (let p = 0; p < planes; p++) {
    const inPlane = p * g.h * g.w;
    for (let oy = 0; oy < g.oh; oy++) {
      const ys = oy * g.stride - g.pad;
      const y0 = Math.max(ys, 0);
      const y1 = Math.min(ys + g.size, g.h);
      for (let ox = 0; ox < g.ow; ox++) {
        const xs = ox * g.stride - g.pad;
        visit(inPlane, (p * g.oh + oy) * g.ow + ox, y0, y1, Math.max(xs, 0), Math.min(xs + g.size, g.w));
      }
    }
  }
}

function maxPoolForward(g: PoolGeometry, x: Float32Array, y: Float32Array, argmax: Int32Array): void {
  forEachWindow(g, (plane, o, y0, y1, x0, x1) => {
    let best = -Infinity;
    let at = -1;
    for (let iy = y0; iy < y1; iy++) {
      for (let ix = x0; ix < x1; ix++) {
        const i = plane + iy * g.w + ix;
        // Strict '>' keeps the first maximum, as TensorFlow and PyTorch do.
        if (x[i] > best || at < 0) {
          best = x[i];
          at = i;
        }
      }
    }
    y[o] = at < 0 ? 0 : best;
    argmax[o] = at;
  });
}

function maxPoolBackward(g: PoolGeometry, dy: Float32Array, argmax: Int32Array, dx: Float32Array): void {
  dx.fill(0);
  const total = g.n * g.c * g.oh * g.ow;
  for (let o = 0; o < total; o++) {
    const at = argmax[o];
    if (at >= 0) dx[at] += dy[o];
  }
}

function avgPoolForward(g: PoolGeometry, x: Float32Array, y: Float32Array): void {
  forEachWindow(g, (plane, o, y0, y1, x0, x1) => {
    let s = 0;
    for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) s += x[plane + iy * g.w + ix];
    const count = (y1 - y0) * (x1 - x0);
    y[o] = count > 0 ? s / count : 0;
  });
}

function avgPoolBackward(g: PoolGeometry, dy: Float32Array, dx: Float32Array): void {
  dx.fill(0);
  forEachWindow(g, (plane, o, y0, y1, x0, x1) => {
    const count = (y1 - y0) * (x1 - x0);
    if (count === 0) return;
    const share = dy[o] / count;
    for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) dx[plane + iy * g.w + ix] += share;
  });
}

export const referenceKernels: Kernels = {
  name: 'reference',
  gemm,
  conv2dForward,
  conv2dBackwardInput,
  conv2dBackwardFilter,
  maxPoolForward,
  maxPoolBackward,
  reluForward,
  reluBackward,
  avgPoolForward,
  avgPoolBackward,
  batchNormForward,
  batchNormBackward,
  sumParts,
  allFinite,
  sgdUpdate,
  momentumUpdate,
  adamUpdate,
};
