import { kernels, referenceKernels, type Kernels, type PoolGeometry } from '../kernels';
import type { Shape } from '../tensor';
import { droppedNotice, outputSize, requireImage } from './geometry';
import type { ParamSpec } from './types';

/** Shared by max and average pooling: the same window parameters and the same output-size rule. */
export type PoolParams = {
  size: number;
  stride: number;
  padding: number;
  ceil: boolean;
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
  ceil: {
    kind: 'bool',
    label: 'ceil mode',
    default: false,
    help: "When the windows do not fit the input exactly: off drops the last rows and columns (floor, every framework's default); on adds a last, partial window over them (PyTorch's ceil_mode).",
  },
};

export function poolGeometry(input: Shape, p: PoolParams, layer: string, batch = 1): PoolGeometry {
  const [c, h, w] = requireImage(input, layer);
  const rounding = p.ceil ? 'ceil' : 'floor';
  const y = outputSize('height', h, p.size, p.stride, p.padding, rounding);
  const x = outputSize('width', w, p.size, p.stride, p.padding, rounding);
  return { n: batch, c, h, w, size: p.size, stride: p.stride, pad: p.padding, oh: y.out, ow: x.out };
}

/** The rows and columns a floor-mode window leaves unread, as a notice; ceil mode reads them all. */
export function poolNotice(input: Shape, p: PoolParams): string | null {
  if (p.ceil) return null;
  const [, h, w] = requireImage(input, 'pooling');
  return droppedNotice([h, w], [p.size, p.size], p.stride, p.padding);
}

/**
 * The kernels for this geometry. A ceil-mode window that hangs past the input's end is clipped by the general
 * loops of every backend, but the WebAssembly backend's unpadded 2×2 fast path assumes whole windows, so those
 * (rare) geometries run on the reference kernels. Pooling is a small share of a step's time.
 */
export function poolKernels(g: PoolGeometry): Kernels {
  const overhang = (g.oh - 1) * g.stride + g.size - g.pad > g.h || (g.ow - 1) * g.stride + g.size - g.pad > g.w;
  return overhang ? referenceKernels : kernels();
}
