import { defineLayer } from './define';
import { elementwise } from './elementwise';

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
    (z) => (z > 0 ? z : 0),
    (z) => (z > 0 ? 1 : 0),
  ),
);
