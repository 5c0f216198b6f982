import { kernels } from '../kernels';
import { allocateOverwritten, defineLayer } from './define';
import { requireVector } from './geometry';

type DenseParams = { units: number; bias: boolean; init: string };

/**
 * Fully connected: y = x·Wᵀ + b, every output a weighted sum of every input (a = h(w·x + b) without h).
 * Kernel layout [units, inputs] (out × in, as PyTorch and ONNX Gemm with transB).
 */
export default defineLayer<DenseParams>({
  type: 'dense',
  label: 'Dense',
  category: 'dense',
  help: 'Each of its units computes w·x + b over every input. Stacking dense layers without a non-linear activation between them collapses into a single layer.',
  params: {
    units: { kind: 'int', label: 'units', default: 10, min: 1, max: 65536, help: 'Number of outputs (neurons).' },
    bias: { kind: 'bool', label: 'bias', default: true, help: 'Add one learned number per unit.' },
    init: {
      kind: 'choice',
      label: 'initialisation',
      default: 'he',
      choices: ['he', 'glorot'],
      help: 'He suits ReLU-like activations; Glorot suits sigmoid, tanh and the last layer.',
    },
  },
  arity: [1, 1],
  inferShape([s], p) {
    requireVector(s, 'Dense');
    return [p.units];
  },
  weights([s], p) {
    const inputs = requireVector(s, 'Dense');
    const init = p.init === 'glorot' ? 'glorot' : 'he';
    const kernel = {
      name: 'kernel',
      shape: [p.units, inputs],
      init,
      trainable: true,
      fanIn: inputs,
      fanOut: p.units,
    } as const;
    return p.bias
      ? [kernel, { name: 'bias', shape: [p.units], init: 'zeros', trainable: true, fanIn: inputs, fanOut: p.units }]
      : [kernel];
  },
  forward(args) {
    const [x] = args.inputs;
    const { weights, params: p } = args;
    const n = x.shape[0];
    const k = x.shape[1];
    const y = allocateOverwritten(args, [n, p.units]);
    kernels().gemm(n, p.units, k, x.data, false, weights[0].data, true, y.data, false);
    if (p.bias) {
      const b = weights[1].data;
      for (let i = 0; i < n; i++) for (let j = 0; j < p.units; j++) y.data[i * p.units + j] += b[j];
    }
    return { output: y };
  },
  backward(args) {
    const [x] = args.inputs;
    const { weights, weightGrads, gradOutput, params: p } = args;
    const n = x.shape[0];
    const k = x.shape[1];
    const dy = gradOutput.data;
    // dW[units×k] += dyᵀ · x;  db += column sums of dy;  dx[n×k] = dy[n×units] · W[units×k]
    kernels().gemm(p.units, k, n, dy, true, x.data, false, weightGrads[0].data, true);
    if (p.bias) {
      const db = weightGrads[1].data;
      for (let i = 0; i < n; i++) for (let j = 0; j < p.units; j++) db[j] += dy[i * p.units + j];
    }
    if (args.needInputGrads?.[0] === false) return [null];
    const dx = allocateOverwritten(args, x.shape);
    kernels().gemm(n, k, p.units, dy, false, weights[0].data, false, dx.data, false);
    return [dx];
  },
  macs: ([s], _out, p) => s[0] * p.units,
});
