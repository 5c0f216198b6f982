/**
 * Tensors are flat Float32Arrays in NCHW order (batch, channels, height, width).
 * A per-example shape drops the batch axis: [C, H, W] for images, [F] for vectors.
 * Index of (n, c, y, x) = ((n * C + c) * H + y) * W + x.
 */
export type Shape = readonly number[];

export interface Tensor {
  readonly shape: Shape;
  readonly data: Float32Array;
}

export function sizeOf(shape: Shape): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

export function tensor(shape: Shape, data?: Float32Array | ArrayLike<number>): Tensor {
  const n = sizeOf(shape);
  let buf: Float32Array;
  if (data === undefined) buf = new Float32Array(n);
  else if (data instanceof Float32Array) buf = data;
  else buf = Float32Array.from(data);
  if (buf.length !== n) {
    throw new Error(`tensor: shape [${shape.join(', ')}] needs ${n} values, got ${buf.length}`);
  }
  return { shape: [...shape], data: buf };
}

export function zerosLike(t: Tensor): Tensor {
  return tensor(t.shape);
}

/** Same data, new shape (no copy). */
export function reshape(t: Tensor, shape: Shape): Tensor {
  return tensor(shape, t.data);
}

/** Batch size (first axis). */
export function batchOf(t: Tensor): number {
  return t.shape[0] ?? 0;
}

/** Rows [start, end) of the batch axis, copied. */
export function sliceBatch(t: Tensor, start: number, end: number): Tensor {
  const per = sizeOf(t.shape.slice(1));
  return tensor([end - start, ...t.shape.slice(1)], t.data.slice(start * per, end * per));
}

export function shapeToString(shape: Shape): string {
  return shape.join('×');
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
