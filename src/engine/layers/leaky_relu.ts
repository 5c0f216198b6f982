import { defineLayer } from './define';
import { elementwise } from './elementwise';

type LeakyParams = { slope: number };

/** y = z for z > 0, else a·z; derivative 1 or a. Slope a defaults to 0.01 as in TensorFlow and PyTorch. */
export default defineLayer(
  elementwise<LeakyParams>(
    {
      type: 'leaky_relu',
      label: 'Leaky ReLU',
      category: 'activation',
      help: 'y = z for z > 0, else a·z; derivative 1 or a. The small slope keeps negative neurons learning (no dead neurons), at the cost of treating the two sides of zero differently.',
      params: {
        slope: { kind: 'number', label: 'slope a', default: 0.01, min: 0, max: 1, help: 'Slope below zero.' },
      },
    },
    (z, p) => (z > 0 ? z : p.slope * z),
    (z, _y, p) => (z > 0 ? 1 : p.slope),
  ),
);
