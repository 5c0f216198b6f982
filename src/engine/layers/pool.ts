import type { PoolGeometry } from '../kernels';
import type { Shape } from '../tensor';
import { outputSize, requireImage } from './geometry';
import type { ParamSpec } from './types';

/** Shared by max and average pooling: the same window parameters and the same output-size rule. */
export type PoolParams = {
  size: number;
  stride: number;
  padding: number;
};

export const poolParams: Record<keyof PoolParams & string, ParamSpec> = {
  size: { kind: 'int', label: 'window', default: 2, min: 1, max: 64, help: 'Window height and width.' },
  stride: {
    kind: 'int',
    label: 'stride',
    default: 2,
    min: 1,
    max: 64,
    help: 'Step of the window; equal to the window for non-overlapping pooling.',
  },
  padding: {
    kind: 'int',
    label: 'padding',
    default: 0,
    min: 0,
    max: 32,
    help: 'Pixels added on each side (never counted in a maximum or an average).',
  },
};

export function poolGeometry(input: Shape, p: PoolParams, layer: string, batch = 1): PoolGeometry {
  const [c, h, w] = requireImage(input, layer);
  const y = outputSize('height', h, p.size, p.stride, p.padding);
  const x = outputSize('width', w, p.size, p.stride, p.padding);
  return { n: batch, c, h, w, size: p.size, stride: p.stride, pad: p.padding, oh: y.out, ow: x.out };
}
