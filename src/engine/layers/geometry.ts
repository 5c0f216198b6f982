import { ShapeError } from './types';
import type { Shape } from '../tensor';

/** How a window that does not fit the input exactly is rounded: drop the rest (every framework) or add a last, partial window (pooling's ceil mode). */
export type Rounding = 'floor' | 'ceil';

/**
 * The source text's output-size rule, OH = (H + 2P − FH)/S + 1, for one axis, rounded as every framework rounds it
 * when the windows do not tile the input exactly: floor((H + 2P − FH)/S) + 1, or with `ceil` (PyTorch's and ONNX's
 * ceil_mode for pooling) ceil(...) + 1, less one when that last window would start in the end padding, as PyTorch does.
 * 'same' padding follows TensorFlow: OH = ceil(H / S), with the odd pixel of padding at the bottom/right.
 * Returns the output size, the padding before the first pixel (top or left), and how many input rows (or columns)
 * at the end no window reads (floor mode only; 0 when the windows cover the input).
 */
export function outputSize(
  axis: 'height' | 'width',
  size: number,
  kernel: number,
  stride: number,
  padding: number | 'same',
  rounding: Rounding = 'floor',
): { out: number; padBefore: number; dropped: number } {
  if (!Number.isInteger(stride) || stride < 1) {
    throw new ShapeError(`stride must be a whole number of at least 1, got ${stride}`);
  }
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + kernel - size, 0);
    return { out, padBefore: Math.floor(total / 2), dropped: 0 };
  }
  const span = size + 2 * padding - kernel;
  if (span < 0) {
    throw new ShapeError(
      `the ${kernel}-pixel window is larger than the input ${axis} ${size}` +
        (padding ? ` plus padding 2×${padding}` : '') +
        `; use a smaller kernel, more padding or 'same'`,
    );
  }
  if (rounding === 'ceil') {
    let out = Math.ceil(span / stride) + 1;
    // A last window starting in the end padding would read nothing real: PyTorch and ONNX leave it out.
    if ((out - 1) * stride >= size + padding) out--;
    return { out, padBefore: padding, dropped: 0 };
  }
  // The rows past the last window: the end padding first, then real input rows.
  return { out: Math.floor(span / stride) + 1, padBefore: padding, dropped: Math.max((span % stride) - padding, 0) };
}

/**
 * A notice (not an error) for a window that leaves input rows or columns unread, with the formula, or null.
 * The editor shows it beside the node; training and export go ahead, as in every framework.
 */
export function droppedNotice(
  size: readonly [h: number, w: number],
  kernel: readonly [kh: number, kw: number],
  stride: number,
  padding: number | 'same',
): string | null {
  if (padding === 'same') return null;
  const y = outputSize('height', size[0], kernel[0], stride, padding);
  const x = outputSize('width', size[1], kernel[1], stride, padding);
  if (y.dropped === 0 && x.dropped === 0) return null;
  const formula = (axis: string, n: number, k: number, out: number) =>
    `output ${axis} floor((${n} + 2×${padding} − ${k})/${stride}) + 1 = ${out}`;
  const parts = [
    y.dropped ? `the last ${y.dropped} row${y.dropped === 1 ? '' : 's'}` : '',
    x.dropped ? `the last ${x.dropped} column${x.dropped === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  return (
    `${formula('height', size[0], kernel[0], y.out)}, ${formula('width', size[1], kernel[1], x.out)}: ` +
    `the windows do not reach ${parts.join(' and ')} of the input, which are ignored (as in PyTorch and TensorFlow)`
  );
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
