import { kernels } from '../kernels';
import { defineLayer } from './define';
import { elementwise } from './elementwise';

/** max(z, 0), branch-free (see kernels/relu.ts, which the whole-array loops below run on). */
const relu = (z: number): number => (z + Math.abs(z)) * 0.5;

/** y = max(z, 0); the derivative at exactly 0 is taken as 0, as the source text writes it. */
export default defineLayer(
  elementwise<Record<string, never>>(
    {
      type: 'relu',
      label: 'ReLU',
      category: 'activation',
      help: 'y = z for z > 0, else 0; derivative 1 or 0. No vanishing gradient for positive inputs and no exponentials, but a neuron whose input stays negative stops learning (a dead neuron).',
      params: {},
    },
    relu,
    (_z, y) => (y > 0 ? 1 : 0),
    // The hottest element-wise layer: on the installed kernels (WebAssembly SIMD: at memory speed).
    {
      forward: (x, y) => kernels().reluForward(x, y),
      backward: (_x, y, dy, dx) => kernels().reluBackward(y, dy, dx),
    },
  ),
);
