import { sizeOf, tensor, type Shape, type Tensor } from '../tensor';
import { defineLayer } from './define';
import { ShapeError } from './types';

type BatchNormParams = { momentum: number; epsilon: number };

interface BnCache {
  training: boolean;
  /** (x − mean)/√(var + ε), per element */
  xhat: Float32Array;
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

/** Calls fn(channel, flatIndex) for every element, channel-major within each example. */
function eachElement(x: Tensor, fn: (c: number, i: number) => void): void {
  const { channels, spatial } = layout(x.shape.slice(1));
  const n = x.shape[0];
  for (let b = 0; b < n; b++) {
    for (let c = 0; c < channels; c++) {
      const o = (b * channels + c) * spatial;
      for (let s = 0; s < spatial; s++) fn(c, o + s);
    }
  }
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
  forward({ inputs: [x], weights: [gamma, beta, runMean, runVar], params: p, training }) {
    const { channels } = layout(x.shape.slice(1));
    const count = sizeOf(x.shape) / channels;
    const mean = new Float64Array(channels);
    const variance = new Float64Array(channels);
    if (training) {
      eachElement(x, (c, i) => (mean[c] += x.data[i]));
      for (let c = 0; c < channels; c++) mean[c] /= count;
      eachElement(x, (c, i) => (variance[c] += (x.data[i] - mean[c]) ** 2));
      for (let c = 0; c < channels; c++) {
        variance[c] /= count;
        const unbiased = count > 1 ? (variance[c] * count) / (count - 1) : variance[c];
        runMean.data[c] = (1 - p.momentum) * runMean.data[c] + p.momentum * mean[c];
        runVar.data[c] = (1 - p.momentum) * runVar.data[c] + p.momentum * unbiased;
      }
    } else {
      for (let c = 0; c < channels; c++) {
        mean[c] = runMean.data[c];
        variance[c] = runVar.data[c];
      }
    }
    const invStd = new Float32Array(channels);
    for (let c = 0; c < channels; c++) invStd[c] = 1 / Math.sqrt(variance[c] + p.epsilon);
    const y = tensor(x.shape);
    const xhat = new Float32Array(x.data.length);
    eachElement(x, (c, i) => {
      xhat[i] = (x.data[i] - mean[c]) * invStd[c];
      y.data[i] = gamma.data[c] * xhat[i] + beta.data[c];
    });
    const cache: BnCache = { training, xhat, invStd };
    return { output: y, cache };
  },
  backward({ inputs: [x], weights: [gamma], weightGrads: [dGamma, dBeta], gradOutput, cache }) {
    const { xhat, invStd, training } = cache as BnCache;
    const { channels } = layout(x.shape.slice(1));
    const count = sizeOf(x.shape) / channels;
    const dy = gradOutput.data;
    const sumDy = new Float64Array(channels);
    const sumDyXhat = new Float64Array(channels);
    eachElement(x, (c, i) => {
      sumDy[c] += dy[i];
      sumDyXhat[c] += dy[i] * xhat[i];
    });
    for (let c = 0; c < channels; c++) {
      dGamma.data[c] += sumDyXhat[c];
      dBeta.data[c] += sumDy[c];
    }
    const dx = tensor(x.shape);
    if (training) {
      // The batch statistics depend on x too: dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂))
      eachElement(x, (c, i) => {
        dx.data[i] = gamma.data[c] * invStd[c] * (dy[i] - sumDy[c] / count - (xhat[i] * sumDyXhat[c]) / count);
      });
    } else {
      eachElement(x, (c, i) => (dx.data[i] = gamma.data[c] * invStd[c] * dy[i]));
    }
    return [dx];
  },
});
