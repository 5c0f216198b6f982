import { kernels, type ConvGeometry } from '../kernels';

/**
 * Grouped convolution through the ordinary Kernels interface: `g` is one group's geometry (g.c channels in, g.f
 * filters out). Group k reads input channels k·c … (k+1)·c − 1 and writes output channels k·f … (k+1)·f − 1, and its
 * kernel is the k-th contiguous block of the [F, C/groups, KH, KW] tensor. A group's channels are contiguous within
 * each image but not across the batch, so they are gathered into one [n, c, h, w] block per group: one kernel call per
 * group for the whole batch (the WebAssembly backend copies each call's arrays once), not one per image and group.
 */

/** Copies group k's block (`per` floats: its channels' planes) of every image of `src` into `dst`, image after image. */
function gather(src: Float32Array, dst: Float32Array, n: number, groups: number, per: number, k: number): void {
  for (let i = 0; i < n; i++) {
    const from = (i * groups + k) * per;
    dst.set(src.subarray(from, from + per), i * per);
  }
}

/** The inverse of gather: writes each image's block of `src` back as group k's block of that image in `dst`. */
function scatter(src: Float32Array, dst: Float32Array, n: number, groups: number, per: number, k: number): void {
  for (let i = 0; i < n; i++) dst.set(src.subarray(i * per, (i + 1) * per), (i * groups + k) * per);
}

export function groupedForward(
  g: ConvGeometry,
  groups: number,
  x: Float32Array,
  kernel: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
): void {
  const inPer = g.c * g.h * g.w;
  const outPer = g.f * g.oh * g.ow;
  const kPer = g.f * g.c * g.kh * g.kw;
  const xs = new Float32Array(g.n * inPer);
  const ys = new Float32Array(g.n * outPer);
  for (let k = 0; k < groups; k++) {
    gather(x, xs, g.n, groups, inPer, k);
    const b = bias ? bias.subarray(k * g.f, (k + 1) * g.f) : null;
    kernels().conv2dForward(g, xs, kernel.subarray(k * kPer, (k + 1) * kPer), b, ys);
    scatter(ys, y, g.n, groups, outPer, k);
  }
}

export function groupedBackwardFilter(
  g: ConvGeometry,
  groups: number,
  x: Float32Array,
  dy: Float32Array,
  dKernel: Float32Array,
  dBias: Float32Array | null,
): void {
  const inPer = g.c * g.h * g.w;
  const outPer = g.f * g.oh * g.ow;
  const kPer = g.f * g.c * g.kh * g.kw;
  const xs = new Float32Array(g.n * inPer);
  const dys = new Float32Array(g.n * outPer);
  for (let k = 0; k < groups; k++) {
    gather(x, xs, g.n, groups, inPer, k);
    gather(dy, dys, g.n, groups, outPer, k);
    const db = dBias ? dBias.subarray(k * g.f, (k + 1) * g.f) : null;
    kernels().conv2dBackwardFilter(g, xs, dys, dKernel.subarray(k * kPer, (k + 1) * kPer), db);
  }
}

export function groupedBackwardInput(
  g: ConvGeometry,
  groups: number,
  dy: Float32Array,
  kernel: Float32Array,
  dx: Float32Array,
): void {
  const inPer = g.c * g.h * g.w;
  const outPer = g.f * g.oh * g.ow;
  const kPer = g.f * g.c * g.kh * g.kw;
  const dys = new Float32Array(g.n * outPer);
  const dxs = new Float32Array(g.n * inPer);
  for (let k = 0; k < groups; k++) {
    gather(dy, dys, g.n, groups, outPer, k);
    kernels().conv2dBackwardInput(g, dys, kernel.subarray(k * kPer, (k + 1) * kPer), dxs);
    scatter(dxs, dx, g.n, groups, inPer, k);
  }
}
