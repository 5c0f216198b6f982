/* eslint-disable @typescript-eslint/ban-ts-comment */
// @ts-nocheck
// AssemblyScript (see ../README.md): asc type-checks it against ./tsconfig.json; the app's type-check skips it.

/**
 * The geometry of the current convolution call (ConvGeometry of ../../types.ts), set once per call by
 * setConvGeometry rather than passed to every function; conv.ts and direct.ts read it.
 */
export let N = 0;
export let C = 0;
export let H = 0;
export let W = 0;
export let F = 0;
export let KH = 0;
export let KW = 0;
export let S = 1;
export let PAD_TOP = 0;
export let PAD_LEFT = 0;
export let OH = 0;
export let OW = 0;

export function setConvGeometry(
  n: i32,
  c: i32,
  h: i32,
  w: i32,
  f: i32,
  kh: i32,
  kw: i32,
  stride: i32,
  padTop: i32,
  padLeft: i32,
  oh: i32,
  ow: i32,
): void {
  N = n;
  C = c;
  H = h;
  W = w;
  F = f;
  KH = kh;
  KW = kw;
  S = stride;
  PAD_TOP = padTop;
  PAD_LEFT = padLeft;
  OH = oh;
  OW = ow;
}
