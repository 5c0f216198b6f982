import { ShapeError } from './types';
import type { Shape } from '../tensor';

/**
 * The source text's output-size rule, OH = (H + 2P − FH)/S + 1, for one axis.
 * 'same' padding follows TensorFlow: OH = ceil(H / S), with the odd pixel of padding at the bottom/right.
 * Returns the output size and the padding before the first pixel (top or left).
 */
export function outputSize(
  axis: 'height' | 'width',
  size: number,
  kernel: number,
  stride: number,
  padding: number | 'same',
): { out: number; padBefore: number } {
  if (!Number.isInteger(stride) || stride < 1) {
    throw new ShapeError(`stride must be a whole number of at least 1, got ${stride}`);
  }
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + kernel - size, 0);
    return { out, padBefore: Math.floor(total / 2) };
  }
  const span = size + 2 * padding - kernel;
  if (span < 0) {
    throw new ShapeError(
      `the ${kernel}-pixel window is larger than the input ${axis} ${size}` +
        (padding ? ` plus padding 2×${padding}` : '') +
        `; use a smaller kernel, more padding or 'same'`,
    );
  }
  if (span % stride !== 0) {
    const exact = (span / stride + 1).toFixed(2);
    throw new ShapeError(
      `output ${axis} (H + 2P − FH)/S + 1 = (${size} + 2×${padding} − ${kernel})/${stride} + 1 = ${exact} is not a whole number; ` +
        `change the padding or the stride`,
    );
  }
  return { out: span / stride + 1, padBefore: padding };
}

/** Throws unless the input is an image (C×H×W). */
export function requireImage(shape: Shape, layer: string): [number, number, number] {
  if (shape.length !== 3) {
    throw new ShapeError(
      `${layer} needs an image input (channels×height×width), got a ${shape.length === 1 ? 'flat vector' : `rank-${shape.length} tensor`} [${shape.join('×')}]`,
    );
  }
  return [shape[0], shape[1], shape[2]];
}

/** Throws unless the input is a flat vector. */
export function requireVector(shape: Shape, layer: string): number {
  if (shape.length !== 1) {
    throw new ShapeError(`${layer} needs a flat vector input, got [${shape.join('×')}]; add a Flatten layer before it`);
  }
  return shape[0];
}
