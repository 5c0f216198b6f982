import { defineLayer } from './define';
import { elementwise } from './elementwise';

/** y = tanh(z), y' = 1 − y². */
export default defineLayer(
  elementwise<Record<string, never>>(
    {
      type: 'tanh',
      label: 'Tanh',
      category: 'activation',
      help: 'y = (e^z − e^−z)/(e^z + e^−z), derivative 1 − y². Zero-centred output, so it trains faster than sigmoid, but its gradient still vanishes for large |z|.',
      params: {},
    },
    (z) => Math.tanh(z),
    (_z, y) => 1 - y * y,
  ),
);
