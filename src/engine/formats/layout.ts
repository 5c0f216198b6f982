import { tensor, type Tensor } from '../tensor';

/**
 * Permutes the axes of a row-major tensor, as numpy's transpose: output axis k is input axis perm[k].
 * Used to move weights between layouts, e.g. [F, C, KH, KW] → [KH, KW, C, F] with perm [2, 3, 1, 0].
 */
export function transpose(t: Tensor, perm: readonly number[]): Tensor {
  const inShape = t.shape;
  const outShape = perm.map((a) => inShape[a]);
  const inStrides = inShape.map((_, i) => inShape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = tensor(outShape);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let o = 0; o < out.data.length; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += idx[k] * inStrides[perm[k]];
    out.data[o] = t.data[src];
    for (let k = outShape.length - 1; k >= 0; k--) {
      if (++idx[k] < outShape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}
