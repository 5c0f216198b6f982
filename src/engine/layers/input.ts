import { tensor } from '../tensor';
import { defineLayer } from './define';
import { ShapeError } from './types';

type InputParams = {
  channels: number;
  height: number;
  width: number;
  vector: boolean;
};

/** Where data enters. The network hands it the batch; it only checks the shape and passes it on. */
export default defineLayer<InputParams>({
  type: 'input',
  label: 'Input',
  category: 'input',
  help: 'The image (or vector) the network sees: channels × height × width. One channel for grayscale, three for RGB; pixel values arrive scaled to [0, 1].',
  params: {
    channels: { kind: 'int', label: 'channels', default: 1, min: 1, max: 64, help: '1 for grayscale, 3 for RGB.' },
    height: { kind: 'int', label: 'height', default: 28, min: 1, max: 4096, help: 'Image height in pixels.' },
    width: { kind: 'int', label: 'width', default: 28, min: 1, max: 4096, help: 'Image width in pixels.' },
    vector: {
      kind: 'bool',
      label: 'flat vector',
      default: false,
      help: 'Treat the input as a flat vector of channels × height × width numbers (for networks without convolutions).',
    },
  },
  arity: [0, 0],
  inferShape: (_inputs, p) => (p.vector ? [p.channels * p.height * p.width] : [p.channels, p.height, p.width]),
  forward({ inputs, params: p }) {
    const x = inputs[0];
    const want = p.vector ? [p.channels * p.height * p.width] : [p.channels, p.height, p.width];
    const got = x.shape.slice(1);
    if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
      throw new ShapeError(`input data is [${got.join('×')}] per example, the input layer expects [${want.join('×')}]`);
    }
    return { output: tensor(x.shape, x.data) };
  },
  backward: () => [],
});
