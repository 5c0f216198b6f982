import { tensor } from '../tensor';
import { defineLayer } from './define';
import { requireVector } from './geometry';

/**
 * Turns scores into class probabilities: y_i = e^(z_i − max z) / Σ e^(z_j − max z) (subtracting the max
 * keeps e^z finite). When it ends the network and the loss is cross-entropy, training uses the fused,
 * stable softmax cross-entropy on its input instead of this layer's Jacobian.
 */
export default defineLayer<Record<string, never>>({
  type: 'softmax',
  label: 'Softmax',
  category: 'output',
  help: 'Turns the last layer’s scores into probabilities that sum to 1, one per class. Put it last and train with cross-entropy.',
  params: {},
  arity: [1, 1],
  inferShape([s]) {
    requireVector(s, 'Softmax');
    return s;
  },
  forward({ inputs: [x] }) {
    const [n, k] = x.shape;
    const y = tensor(x.shape);
    for (let i = 0; i < n; i++) {
      const o = i * k;
      let max = -Infinity;
      for (let j = 0; j < k; j++) max = Math.max(max, x.data[o + j]);
      let sum = 0;
      for (let j = 0; j < k; j++) sum += y.data[o + j] = Math.exp(x.data[o + j] - max);
      for (let j = 0; j < k; j++) y.data[o + j] /= sum;
    }
    return { output: y };
  },
  backward({ output, gradOutput }) {
    // dx_i = y_i · (dy_i − Σ_j dy_j y_j)
    const [n, k] = output.shape;
    const dx = tensor(output.shape);
    for (let i = 0; i < n; i++) {
      const o = i * k;
      let dot = 0;
      for (let j = 0; j < k; j++) dot += gradOutput.data[o + j] * output.data[o + j];
      for (let j = 0; j < k; j++) dx.data[o + j] = output.data[o + j] * (gradOutput.data[o + j] - dot);
    }
    return [dx];
  },
});
