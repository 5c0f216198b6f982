import { sizeOf, tensor } from '../tensor';
import { defineLayer } from './define';
import { ShapeError } from './types';

/**
 * Joins inputs along the channel axis (or the feature axis for vectors). In NCHW each example's channels
 * are one contiguous block, so an output example is simply its inputs' blocks one after another.
 */
export default defineLayer<Record<string, never>>({
  type: 'concat',
  label: 'Concat',
  category: 'merge',
  help: 'Stacks its inputs’ channels (or features) side by side; the other sizes must agree. Joins parallel branches, as in an Inception block.',
  params: {},
  arity: [2, Infinity],
  inferShape(inputs) {
    const first = inputs[0];
    let channels = 0;
    inputs.forEach((s, i) => {
      if (s.length !== first.length || s.slice(1).some((d, j) => d !== first[j + 1])) {
        throw new ShapeError(
          `Concat joins along channels, so the other sizes must agree: input 1 is [${first.join('×')}], input ${i + 1} is [${s.join('×')}]`,
        );
      }
      channels += s[0];
    });
    return [channels, ...first.slice(1)];
  },
  forward({ inputs }) {
    const n = inputs[0].shape[0];
    const per = inputs.map((x) => sizeOf(x.shape.slice(1)));
    const total = per.reduce((a, b) => a + b, 0);
    const channels = inputs.reduce((a, x) => a + x.shape[1], 0);
    const y = tensor([n, channels, ...inputs[0].shape.slice(2)]);
    for (let b = 0; b < n; b++) {
      let o = b * total;
      inputs.forEach((x, k) => {
        y.data.set(x.data.subarray(b * per[k], (b + 1) * per[k]), o);
        o += per[k];
      });
    }
    return { output: y };
  },
  backward({ inputs, gradOutput }) {
    const n = inputs[0].shape[0];
    const per = inputs.map((x) => sizeOf(x.shape.slice(1)));
    const total = per.reduce((a, b) => a + b, 0);
    const grads = inputs.map((x) => tensor(x.shape));
    for (let b = 0; b < n; b++) {
      let o = b * total;
      grads.forEach((g, k) => {
        g.data.set(gradOutput.data.subarray(o, o + per[k]), b * per[k]);
        o += per[k];
      });
    }
    return grads;
  },
});
