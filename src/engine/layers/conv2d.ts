import { kernels, type ConvGeometry } from '../kernels';
import type { Shape, Tensor } from '../tensor';
import { allocateOverwritten, defineLayer } from './define';
import { droppedNotice, outputSize, requireImage } from './geometry';
import { groupedBackwardFilter, groupedBackwardInput, groupedForward } from './grouped';
import { ShapeError, type BackwardArgs, type ForwardArgs, type ForwardResult } from './types';

type Conv2dParams = {
  filters: number;
  kernelH: number;
  kernelW: number;
  stride: number;
  padding: number | 'same';
  bias: boolean;
  init: string;
  groups: number;
};

/** Throws unless the channels and filters split into `groups` equal groups; returns the input channels. */
function groupedChannels(input: Shape, p: Conv2dParams): number {
  const [c] = requireImage(input, 'Conv2D');
  if (c % p.groups !== 0 || p.filters % p.groups !== 0) {
    throw new ShapeError(
      `groups ${p.groups} must divide both the input channels (${c}) and the filters (${p.filters}); ` +
        `depthwise convolution is groups = channels, with filters a multiple of it`,
    );
  }
  return c;
}

/**
 * Everything the kernels need, worked out from the per-example input shape and the params. With groups, the
 * geometry is that of one group (c/groups channels in, filters/groups out), which grouped.ts runs once per group.
 */
function geometry(input: Shape, p: Conv2dParams, batch = 1): ConvGeometry {
  const c = groupedChannels(input, p) / p.groups;
  const [, h, w] = requireImage(input, 'Conv2D');
  const y = outputSize('height', h, p.kernelH, p.stride, p.padding);
  const x = outputSize('width', w, p.kernelW, p.stride, p.padding);
  return {
    n: batch,
    c,
    h,
    w,
    f: p.filters / p.groups,
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
  help: 'Slides F small filters over the image; each output pixel is the sum over channels of window × filter, plus a bias. Output size per axis: floor((H + 2P − FH)/S) + 1. Padding keeps the border; stride 2 halves the size. Groups split the channels: each group of filters sees only its own share of the input channels (groups = channels is a depthwise convolution, as in MobileNet).',
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
    groups: {
      kind: 'int',
      label: 'groups',
      default: 1,
      min: 1,
      max: 4096,
      help: 'Split channels and filters into this many independent groups (1: an ordinary convolution; the number of input channels: depthwise). Must divide both.',
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
    return [p.filters, g.oh, g.ow];
  },
  notice([input], p) {
    const [, h, w] = requireImage(input, 'Conv2D');
    return droppedNotice([h, w], [p.kernelH, p.kernelW], p.stride, p.padding);
  },
  weights([input], p) {
    // Each filter sees its group's channels only: PyTorch's and ONNX's kernel layout [F, C/groups, KH, KW].
    const c = groupedChannels(input, p) / p.groups;
    const fanIn = c * p.kernelH * p.kernelW;
    const fanOut = (p.filters / p.groups) * p.kernelH * p.kernelW;
    const init = p.init === 'glorot' ? 'glorot' : 'he';
    const specs = [
      { name: 'kernel', shape: [p.filters, c, p.kernelH, p.kernelW], init, trainable: true, fanIn, fanOut } as const,
    ];
    return p.bias
      ? [...specs, { name: 'bias', shape: [p.filters], init: 'zeros', trainable: true, fanIn, fanOut }]
      : [...specs];
  },
  forward: (args) => forward(args, false),
  backward: (args) => backward(args, false),
  withRelu: {
    forward: (args) => forward(args, true),
    backward: (args) => backward(args, true),
  },
  macs([input], out, p) {
    return (out[0] * out[1] * out[2] * input[0] * p.kernelH * p.kernelW) / p.groups;
  },
});

/** y = conv(x) + bias, or max(that, 0) with `relu` (withRelu: the output is then the ReLU's). */
function forward(args: ForwardArgs<Conv2dParams>, relu: boolean): ForwardResult {
  const [x] = args.inputs;
  const { weights, params: p } = args;
  const g = geometry(x.shape.slice(1), p, x.shape[0]);
  const y = allocateOverwritten(args, [g.n, p.filters, g.oh, g.ow]);
  const bias = p.bias ? weights[1].data : null;
  if (p.groups === 1) kernels().conv2dForward(g, x.data, weights[0].data, bias, y.data, relu);
  else {
    groupedForward(g, p.groups, x.data, weights[0].data, bias, y.data);
    if (relu) kernels().reluForward(y.data, y.data);
  }
  return { output: y };
}

/**
 * With `relu`, `output` and `gradOutput` are the ReLU's: dy is gated by that output first, inside the kernel
 * gradient's call, which hands the gated dy back only when the input gradient needs it too.
 */
function backward(args: BackwardArgs<Conv2dParams>, relu: boolean): (Tensor | null)[] {
  const [x] = args.inputs;
  const { weights, weightGrads, params: p } = args;
  const g = geometry(x.shape.slice(1), p, x.shape[0]);
  const dBias = p.bias ? weightGrads[1].data : null;
  // The first convolution's input is the image: nobody needs that gradient while training.
  const needDx = args.needInputGrads?.[0] !== false;
  let dy = args.gradOutput.data;
  if (p.groups === 1) {
    const gated = relu && needDx ? allocateOverwritten(args, args.gradOutput.shape).data : null;
    const gate = relu ? { output: args.output.data, gated } : null;
    kernels().conv2dBackwardFilter(g, x.data, dy, weightGrads[0].data, dBias, gate);
    if (gated) dy = gated;
  } else {
    if (relu) {
      const gated = allocateOverwritten(args, args.gradOutput.shape).data;
      kernels().reluBackward(args.output.data, dy, gated);
      dy = gated;
    }
    groupedBackwardFilter(g, p.groups, x.data, dy, weightGrads[0].data, dBias);
  }
  if (!needDx) return [null];
  const dx = allocateOverwritten(args, x.shape);
  if (p.groups === 1) kernels().conv2dBackwardInput(g, dy, weights[0].data, dx.data);
  else groupedBackwardInput(g, p.groups, dy, weights[0].data, dx.data);
  return [dx];
}
