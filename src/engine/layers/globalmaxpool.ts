import { allocate, defineLayer } from './define';
import { requireImage } from './geometry';

/**
 * The largest value of each feature map: C×H×W → C×1×1 (ONNX's GlobalMaxPool, PyTorch's AdaptiveMaxPool2d(1) or
 * x.amax((2, 3), keepdim=True)). Backward routes each gradient to the first maximum of its map, as PyTorch does.
 */
export default defineLayer<Record<string, never>>({
  type: 'globalmaxpool',
  label: 'GlobalMaxPool',
  category: 'pooling',
  help: 'Keeps the largest value of each whole feature map (C×H×W → C×1×1), whatever the map size: "is this feature anywhere in the image". No weights.',
  params: {},
  arity: [1, 1],
  inferShape([input]) {
    const [c] = requireImage(input, 'GlobalMaxPool');
    return [c, 1, 1];
  },
  forward(args) {
    const [x] = args.inputs;
    const [n, c, h, w] = x.shape;
    const plane = h * w;
    const y = allocate(args, [n, c, 1, 1]);
    const winners = new Int32Array(n * c);
    for (let p = 0; p < n * c; p++) {
      let at = p * plane;
      for (let i = at + 1, e = (p + 1) * plane; i < e; i++) if (x.data[i] > x.data[at]) at = i;
      y.data[p] = x.data[at];
      winners[p] = at;
    }
    return { output: y, cache: winners };
  },
  backward(args) {
    const winners = args.cache as Int32Array;
    const dx = allocate(args, args.inputs[0].shape);
    for (let p = 0; p < winners.length; p++) dx.data[winners[p]] += args.gradOutput.data[p];
    return [dx];
  },
});
