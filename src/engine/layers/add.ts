import { sameShape, tensor } from '../tensor';
import { defineLayer } from './define';
import { ShapeError } from './types';

/** Element-wise sum of two or more inputs of the same shape: the join of a residual block. */
export default defineLayer<Record<string, never>>({
  type: 'add',
  label: 'Add',
  category: 'merge',
  help: 'Adds its inputs element by element (they must have the same shape). The join of a residual (skip) connection, which lets gradients flow straight through deep networks.',
  params: {},
  arity: [2, Infinity],
  inferShape(inputs) {
    const first = inputs[0];
    inputs.forEach((s, i) => {
      if (!sameShape(s, first)) {
        throw new ShapeError(
          `Add needs inputs of one shape: input 1 is [${first.join('×')}], input ${i + 1} is [${s.join('×')}]`,
        );
      }
    });
    return first;
  },
  forward({ inputs }) {
    const y = tensor(inputs[0].shape);
    for (const x of inputs) for (let i = 0; i < x.data.length; i++) y.data[i] += x.data[i];
    return { output: y };
  },
  // Every input receives the whole gradient; the network copies before it accumulates into a shared one.
  backward: ({ inputs, gradOutput }) => inputs.map(() => gradOutput),
});
