import { kernels, type ConvGeometry } from '../kernels';
import type { Shape } from '../tensor';
import { allocate, defineLayer } from './define';
import { outputSize, requireImage } from './geometry';

type Conv2dParams = {
  filters: number;
  kernelH: number;
  kernelW: number;
  stride: number;
  padding: number | 'same';
  bias: boolean;
  init: string;
};

/** Everything the kernels need, worked out from the per-example input shape and the params. */
function geometry(input: Shape, p: Conv2dParams, batch = 1): ConvGeometry {
  const [c, h, w] = requireImage(input, 'Conv2D');
  const y = outputSize('height', h, p.kernelH, p.stride, p.padding);
  const x = outputSize('width', w, p.kernelW, p.stride, p.padding);
  return {
    n: batch,
    c,
    h,
    w,
    f: p.filters,
    kh: p.kernelH,
    kw: p.kernelW,
    stride: p.stride,
    padTop: y.padBefore,
    padLeft: x.padBefore,
    oh: y.out,
    ow: x.out,
  };
}

/** Cross-correlation (the kernel is not flipped), as in the source text and every framework. Kernel layout [F, C, KH, KW]. */
export default defineLayer<Conv2dParams>({
  type: 'conv2d',
  label: 'Conv2D',
  category: 'convolution',
  help: 'Slides F small filters over the image; each output pixel is the sum over channels of window × filter, plus a bias. Output size per axis: (H + 2P − FH)/S + 1. Padding keeps the border; stride 2 halves the size.',
  params: {
    filters: {
      kind: 'int',
      label: 'filters',
      default: 8,
      min: 1,
      max: 4096,
      help: 'How many filters, i.e. output channels (feature maps).',
    },
    kernelH: { kind: 'int', label: 'kernel height', default: 3, min: 1, max: 64, help: 'Filter height FH in pixels.' },
    kernelW: { kind: 'int', label: 'kernel width', default: 3, min: 1, max: 64, help: 'Filter width FW in pixels.' },
    stride: { kind: 'int', label: 'stride', default: 1, min: 1, max: 64, help: 'Step S of the sliding window.' },
    padding: {
      kind: 'padding',
      label: 'padding',
      default: 0,
      min: 0,
      max: 64,
      help: "Zero pixels P added on each side, or 'same' to keep the size (divided by the stride).",
    },
    bias: { kind: 'bool', label: 'bias', default: true, help: 'Add one learned number per filter.' },
    init: {
      kind: 'choice',
      label: 'initialisation',
      default: 'he',
      choices: ['he', 'glorot'],
      help: 'He suits ReLU-like activations; Glorot suits sigmoid and tanh.',
    },
  },
  arity: [1, 1],
  inferShape([input], p) {
    const g = geometry(input, p);
    return [g.f, g.oh, g.ow];
  },
  weights([input], p) {
    const [c] = requireImage(input, 'Conv2D');
    const fanIn = c * p.kernelH * p.kernelW;
    const fanOut = p.filters * p.kernelH * p.kernelW;
    const init = p.init === 'glorot' ? 'glorot' : 'he';
    const specs = [
      { name: 'kernel', shape: [p.filters, c, p.kernelH, p.kernelW], init, trainable: true, fanIn, fanOut } as const,
    ];
    return p.bias
      ? [...specs, { name: 'bias', shape: [p.filters], init: 'zeros', trainable: true, fanIn, fanOut }]
      : [...specs];
  },
  forward(args) {
    const [x] = args.inputs;
    const { weights, params: p } = args;
    const g = geometry(x.shape.slice(1), p, x.shape[0]);
    const y = allocate(args, [g.n, g.f, g.oh, g.ow]);
    kernels().conv2dForward(g, x.data, weights[0].data, p.bias ? weights[1].data : null, y.data);
    return { output: y };
  },
  backward(args) {
    const [x] = args.inputs;
    const { weights, weightGrads, gradOutput, params: p } = args;
    const g = geometry(x.shape.slice(1), p, x.shape[0]);
    const dBias = p.bias ? weightGrads[1].data : null;
    kernels().conv2dBackwardFilter(g, x.data, gradOutput.data, weightGrads[0].data, dBias);
    // The first convolution's input is the image: nobody needs that gradient while training.
    if (args.needInputGrads?.[0] === false) return [null];
    const dx = allocate(args, x.shape);
    kernels().conv2dBackwardInput(g, gradOutput.data, weights[0].data, dx.data);
    return [dx];
  },
  macs([input], out, p) {
    return out[0] * out[1] * out[2] * input[0] * p.kernelH * p.kernelW;
  },
});
