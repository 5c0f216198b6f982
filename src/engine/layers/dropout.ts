import { allocateOverwritten, defineLayer } from './define';

type DropoutParams = { rate: number };

/** The draws of one forward pass, reused: Rng.fill writes a whole array of them at once (see there). */
let draws = new Float64Array(0);

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
  forward(args) {
    const [x] = args.inputs;
    const { params: p, training, rng } = args;
    if (!training || p.rate === 0) return { output: x, cache: null };
    const keep = 1 / (1 - p.rate);
    const mask = allocateOverwritten(args, x.shape).data;
    const y = allocateOverwritten(args, x.shape);
    const xd = x.data;
    const yd = y.data;
    const rate = p.rate; // read once: a property load per value was most of the loop's time
    const n = mask.length;
    if (draws.length < n) draws = new Float64Array(n);
    const u = draws.length === n ? draws : draws.subarray(0, n);
    rng.fill(u); // the draws rng.next() would give, in the same order
    for (let i = 0; i < n; i++) {
      // keep · (0 or 1) rather than a branch: the draw's outcome is random, so a branch mispredicts often
      // (twice as slow).
      const m = keep * +(u[i] >= rate);
      mask[i] = m;
      yd[i] = xd[i] * m;
    }
    return { output: y, cache: mask };
  },
  backward(args) {
    const { gradOutput, cache } = args;
    if (cache === null) return [gradOutput];
    const mask = cache as Float32Array;
    const dx = allocateOverwritten(args, gradOutput.shape);
    const dy = gradOutput.data;
    for (let i = 0; i < mask.length; i++) dx.data[i] = dy[i] * mask[i];
    return [dx];
  },
});
