import { kernels, type NormGeometry } from '../kernels';
import type { Shape, Tensor } from '../tensor';
import { allocateOverwritten, defineLayer } from './define';
import { ShapeError, type BackwardArgs, type ForwardArgs, type ForwardResult } from './types';

type BatchNormParams = { momentum: number; epsilon: number };

interface BnCache {
  /** The statistics x was normalised with (the batch's in training, the running ones otherwise), per channel */
  mean: Float32Array;
  /** 1/√(var + ε), per channel */
  invStd: Float32Array;
}

/**
 * Normalises each channel (C×H×W input, over batch and space) or each feature (vector input, over the
 * batch): y = γ·(x − μ)/√(σ² + ε) + β. Training uses the batch's statistics and updates running ones
 * (PyTorch's convention: running = (1 − m)·running + m·batch, unbiased variance); inference uses the
 * running ones. Weights: gamma, beta (trained), runningMean, runningVar (not trained).
 */
function layout(shape: Shape): { channels: number; spatial: number } {
  if (shape.length !== 1 && shape.length !== 3) {
    throw new ShapeError(`BatchNorm needs an image (C×H×W) or a vector input, got [${shape.join('×')}]`);
  }
  return { channels: shape[0], spatial: shape.length === 3 ? shape[1] * shape[2] : 1 };
}

function normGeometry(x: Tensor, epsilon: number): NormGeometry {
  const { channels, spatial } = layout(x.shape.slice(1));
  return { n: x.shape[0], c: channels, spatial, epsilon };
}

export default defineLayer<BatchNormParams>({
  type: 'batchnorm',
  label: 'BatchNorm',
  category: 'regularisation',
  help: 'Normalises each channel to zero mean and unit variance over the batch, then scales and shifts it with learned γ and β. Lets deeper networks train faster with larger learning rates; behaves differently in training (batch statistics) and inference (running statistics).',
  params: {
    momentum: {
      kind: 'number',
      label: 'momentum',
      default: 0.1,
      min: 0,
      max: 1,
      help: 'How fast the running statistics follow the batches.',
    },
    epsilon: {
      kind: 'number',
      label: 'epsilon',
      default: 1e-5,
      min: 1e-12,
      max: 0.1,
      help: 'Added to the variance to avoid dividing by zero.',
    },
  },
  arity: [1, 1],
  inferShape([s]) {
    layout(s);
    return s;
  },
  weights([s]) {
    const { channels } = layout(s);
    const w = (name: string, init: 'ones' | 'zeros', trainable: boolean) => ({
      name,
      shape: [channels],
      init,
      trainable,
      fanIn: channels,
      fanOut: channels,
    });
    return [
      w('gamma', 'ones', true),
      w('beta', 'zeros', true),
      w('runningMean', 'zeros', false),
      w('runningVar', 'ones', false),
    ];
  },
  forward: (args) => forward(args, false),
  backward: (args) => backward(args, false),
  withRelu: {
    forward: (args) => forward(args, true),
    backward: (args) => backward(args, true),
  },
});

/** y = γ·x̂ + β, or max(that, 0) with `relu` (withRelu: the output is then the ReLU's). */
function forward(args: ForwardArgs<BatchNormParams>, relu: boolean): ForwardResult {
  const [x] = args.inputs;
  const [gamma, beta, runMean, runVar] = args.weights;
  const { params: p, training } = args;
  const g = normGeometry(x, p.epsilon);
  // The loops are the kernels' (the WebAssembly backend runs them in SIMD); x̂ is not stored: backward
  // recomputes it from x, the mean and invStd, which costs less than writing and reading it back.
  const mean = training ? new Float32Array(g.c) : runMean.data;
  const variance = training ? new Float32Array(g.c) : runVar.data;
  const invStd = new Float32Array(g.c);
  const y = allocateOverwritten(args, x.shape);
  kernels().batchNormForward(g, x.data, gamma.data, beta.data, training, mean, variance, invStd, y.data, relu);
  if (training) {
    const count = g.n * g.spatial;
    for (let c = 0; c < g.c; c++) {
      const unbiased = count > 1 ? (variance[c] * count) / (count - 1) : variance[c];
      runMean.data[c] = (1 - p.momentum) * runMean.data[c] + p.momentum * mean[c];
      runVar.data[c] = (1 - p.momentum) * runVar.data[c] + p.momentum * unbiased;
    }
  }
  const cache: BnCache = { mean: training ? mean : mean.slice(), invStd };
  return { output: y, cache };
}

/** With `relu`, `output` and `gradOutput` are the ReLU's, and dy is gated by it first. */
function backward(args: BackwardArgs<BatchNormParams>, relu: boolean): Tensor[] {
  const [x] = args.inputs;
  const [gamma] = args.weights;
  const [dGamma, dBeta] = args.weightGrads;
  const { mean, invStd } = args.cache as BnCache;
  const g = normGeometry(x, args.params.epsilon);
  const dx = allocateOverwritten(args, x.shape);
  kernels().batchNormBackward(
    g,
    x.data,
    args.gradOutput.data,
    gamma.data,
    args.training,
    mean,
    invStd,
    dx.data,
    dGamma.data,
    dBeta.data,
    relu ? args.output.data : null,
  );
  return [dx];
}
