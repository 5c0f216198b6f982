import { defineLayer } from './define';
import { elementwise } from './elementwise';

/**
 * y = min(max(z, 0), 6), MobileNet's activation (PyTorch's nn.ReLU6, ONNX's Clip(0, 6), Keras's relu6). The
 * derivative is 1 strictly between 0 and 6, else 0, as in PyTorch.
 */
export default defineLayer(
  elementwise<Record<string, never>>(
    {
      type: 'relu6',
      label: 'ReLU6',
      category: 'activation',
      help: 'y = z between 0 and 6, 0 below, 6 above; derivative 1 between them, else 0. MobileNet’s ReLU: the cap keeps activations small, which suits low-precision inference, at the cost of neurons that stop learning above 6 as below 0.',
      params: {},
    },
    (z) => Math.min(Math.max(z, 0), 6),
    (z) => (z > 0 && z < 6 ? 1 : 0),
  ),
);
