import { tensor } from '../tensor';
import { defineLayer } from './define';

type DropoutParams = { rate: number };

/**
 * Inverted dropout: while training, each value is zeroed with probability `rate` and the survivors are
 * scaled by 1/(1 − rate), so that inference is the identity and needs no rescaling.
 */
export default defineLayer<DropoutParams>({
  type: 'dropout',
  label: 'Dropout',
  category: 'regularisation',
  help: 'While training, zeroes a random fraction of values so the network cannot rely on any single one; does nothing at inference.',
  params: {
    rate: {
      kind: 'number',
      label: 'rate',
      default: 0.5,
      min: 0,
      max: 0.95,
      help: 'Fraction of values dropped while training.',
    },
  },
  arity: [1, 1],
  inferShape: ([s]) => s,
  forward({ inputs: [x], params: p, training, rng }) {
    if (!training || p.rate === 0) return { output: x, cache: null };
    const keep = 1 / (1 - p.rate);
    const mask = new Float32Array(x.data.length);
    const y = tensor(x.shape);
    for (let i = 0; i < mask.length; i++) {
      mask[i] = rng.next() >= p.rate ? keep : 0;
      y.data[i] = x.data[i] * mask[i];
    }
    return { output: y, cache: mask };
  },
  backward({ gradOutput, cache }) {
    if (cache === null) return [gradOutput];
    const mask = cache as Float32Array;
    const dx = tensor(gradOutput.shape);
    for (let i = 0; i < mask.length; i++) dx.data[i] = gradOutput.data[i] * mask[i];
    return [dx];
  },
});
