import { defineLayer } from './define';
import { elementwise } from './elementwise';

/** y = 1/(1 + e^−z), y' = y(1 − y). Written to avoid overflow of e^−z for large negative z. */
export default defineLayer(
  elementwise<Record<string, never>>(
    {
      type: 'sigmoid',
      label: 'Sigmoid',
      category: 'activation',
      help: 'y = 1/(1+e^−z), derivative y(1−y). Simple and suited to classification, but its gradient vanishes for large |z|, its output (0, 1) is not zero-centred, and updates zig-zag, so deep stacks train slowly.',
      params: {},
    },
    (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))),
    (_z, y) => y * (1 - y),
  ),
);
