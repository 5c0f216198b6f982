import type { ConvGeometry } from './types';

/**
 * Unfolds one image x[c,h,w] into col[(c·kh·kw) × (oh·ow)]: row r = (ci, ky, kx) holds, for every output
 * position (oy, ox), the input pixel under kernel cell (ky, kx), i.e. x[ci, oy·s + ky - padTop, ox·s + kx - padLeft],
 * or 0 where that falls in the padding. Convolution is then one matrix multiply: kernel[f × ckk] · col.
 */
export function im2col(g: ConvGeometry, x: Float32Array, xOff: number, col: Float32Array): void {
  const { c, h, w, kh, kw, stride, padTop, padLeft, oh, ow } = g;
  const ohw = oh * ow;
  let row = 0;
  for (let ci = 0; ci < c; ci++) {
    const plane = xOff + ci * h * w;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row++) {
        const out = row * ohw;
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * stride + ky - padTop;
          const o = out + oy * ow;
          if (iy < 0 || iy >= h) {
            col.fill(0, o, o + ow);
            continue;
          }
          const src = plane + iy * w;
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * stride + kx - padLeft;
            col[o + ox] = ix >= 0 && ix < w ? x[src + ix] : 0;
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: adds each column entry back onto the input pixel it came from. */
export function col2im(g: ConvGeometry, col: Float32Array, dx: Float32Array, dxOff: number): void {
  const { c, h, w, kh, kw, stride, padTop, padLeft, oh, ow } = g;
  const ohw = oh * ow;
  let row = 0;
  for (let ci = 0; ci < c; ci++) {
    const plane = dxOff + ci * h * w;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row++) {
        const src = row * ohw;
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * stride + ky - padTop;
          if (iy < 0 || iy >= h) continue;
          const dst = plane + iy * w;
          const o = src + oy * ow;
          for (let ox = 0; ox < ow; ox++) {
            const ix = ox * stride + kx - padLeft;
            if (ix >= 0 && ix < w) dx[dst + ix] += col[o + ox];
          }
        }
      }
    }
  }
}
