import { sizeOf, tensor } from '../tensor';
import { defineLayer } from './define';

/** C×H×W → a vector of C·H·W. NCHW is already contiguous per example, so this is a reshape (no copy). */
export default defineLayer<Record<string, never>>({
  type: 'flatten',
  label: 'Flatten',
  category: 'dense',
  help: 'Unrolls the feature maps into one vector (channel by channel, row by row), so that dense layers can follow.',
  params: {},
  arity: [1, 1],
  inferShape: ([s]) => [sizeOf(s)],
  forward: ({ inputs: [x] }) => ({ output: tensor([x.shape[0], sizeOf(x.shape.slice(1))], x.data) }),
  backward: ({ inputs: [x], gradOutput }) => [tensor(x.shape, gradOutput.data)],
});
