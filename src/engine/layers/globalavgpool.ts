import { allocate, defineLayer } from './define';
import { requireImage } from './geometry';

/**
 * The mean of each feature map: C×H×W → C×1×1 (ONNX's GlobalAveragePool, PyTorch's AdaptiveAvgPool2d(1) or
 * x.mean((2, 3), keepdim=True)). Any map size, square or not; backward spreads each gradient evenly over its map.
 */
export default defineLayer<Record<string, never>>({
  type: 'globalavgpool',
  label: 'GlobalAvgPool',
  category: 'pooling',
  help: 'Averages each whole feature map to one number (C×H×W → C×1×1), whatever the map size. The usual end of a ResNet or MobileNet before the classifier: no weights, and it makes the classifier independent of the image size.',
  params: {},
  arity: [1, 1],
  inferShape([input]) {
    const [c] = requireImage(input, 'GlobalAvgPool');
    return [c, 1, 1];
  },
  forward(args) {
    const [x] = args.inputs;
    const [n, c, h, w] = x.shape;
    const plane = h * w;
    const y = allocate(args, [n, c, 1, 1]);
    for (let p = 0; p < n * c; p++) {
      let s = 0;
      for (let i = p * plane, e = i + plane; i < e; i++) s += x.data[i];
      y.data[p] = s / plane;
    }
    return { output: y };
  },
  backward(args) {
    const [x] = args.inputs;
    const [n, c, h, w] = x.shape;
    const plane = h * w;
    const dx = allocate(args, x.shape);
    for (let p = 0; p < n * c; p++) dx.data.fill(args.gradOutput.data[p] / plane, p * plane, (p + 1) * plane);
    return [dx];
  },
  macs: ([input]) => input[0] * input[1] * input[2],
});
