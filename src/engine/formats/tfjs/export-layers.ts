import type { CompiledNode } from '../../graph';
import { outputSize } from '../../layers/geometry';
import type { Tensor } from '../../tensor';
import { transpose } from '../layout';
import { FormatError } from '../types';

/** One Keras layer of the model's topology, as tfjs-layers serialises it (snake_case config keys). */
export interface KerasLayer {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, Record<string, never>][][];
}

/** A weight in TF.js layout, named `${layerName}/${weightName}` as tfjs-layers looks it up. */
export interface TfjsWeight {
  name: string;
  value: Tensor;
}

/**
 * What a rule gets for one Convas node: the names of the Keras layers holding its inputs, and `add`,
 * which appends a layer fed by the given inputs and returns its (unique) name. A rule returns the name of
 * the layer holding the node's output, which may be one of its inputs when the node is a no-op in NHWC.
 */
export interface TfjsEmitArgs {
  node: CompiledNode;
  inputs: string[];
  weights: Record<string, Tensor>;
  add(
    className: string,
    name: string,
    config: Record<string, unknown>,
    inputs: string[],
    weights?: Record<string, Tensor>,
  ): string;
}

export type TfjsEmitter = (args: TfjsEmitArgs) => string;

const p = (node: CompiledNode) => node.params as Record<string, number | string | boolean>;
const NHWC = { data_format: 'channels_last' };

/**
 * The engine's pooling never counts padded cells. Keras pooling pads only with padding 'same', which
 * also ignores the padded cells; so a padded pool exports when its geometry is exactly TensorFlow's
 * 'same' (output ceil(H/S) and P cells on each side), and is refused otherwise.
 */
function poolPadding(node: CompiledNode): 'valid' | 'same' {
  const { size, stride, padding, ceil } = p(node) as { size: number; stride: number; padding: number; ceil: boolean };
  const [, h, w] = node.inShapes[0];
  // Keras rounds down like the engine's default; ceil mode is the same only when the windows fit exactly.
  if (
    ceil &&
    [h, w].some(
      (n) =>
        outputSize('height', n, size, stride, padding, 'ceil').out !==
        outputSize('height', n, size, stride, padding).out,
    )
  ) {
    throw new FormatError(
      `node '${node.id}': TF.js pooling has no ceil mode, and on a ${h}×${w} input this ${size}×${size} window with stride ${stride} needs it (a last, partial window); turn ceil mode off or pad the input`,
    );
  }
  if (padding === 0) return 'valid';
  const fits = [h, w].every((n) => {
    const ours = outputSize('height', n, size, stride, padding);
    const tf = outputSize('height', n, size, stride, 'same');
    const total = (tf.out - 1) * stride + size - n;
    return ours.out === tf.out && total === 2 * padding;
  });
  if (!fits) {
    throw new FormatError(
      `node '${node.id}': TF.js pooling can pad only the 'same' way, and a ${size}×${size} window with stride ${stride} and padding ${padding} on a ${h}×${w} input is not that; use padding 0`,
    );
  }
  return 'same';
}

function pooling(className: 'MaxPooling2D' | 'AveragePooling2D'): TfjsEmitter {
  return ({ node, inputs, add }) => {
    const { size, stride } = p(node) as { size: number; stride: number };
    return add(
      className,
      node.id,
      { pool_size: [size, size], strides: [stride, stride], padding: poolPadding(node), ...NHWC },
      inputs,
    );
  };
}

function globalPooling(className: 'MaxPooling2D' | 'AveragePooling2D'): TfjsEmitter {
  return ({ node, inputs, add }) => {
    const [, h, w] = node.inShapes[0];
    return add(className, node.id, { pool_size: [h, w], strides: [h, w], padding: 'valid', ...NHWC }, inputs);
  };
}

const activation =
  (name: string): TfjsEmitter =>
  ({ node, inputs, add }) =>
    add('Activation', node.id, { activation: name }, inputs);

/** One rule per Convas layer type; tensors arrive in the engine's layouts and leave in TF.js's. */
export const tfjsEmitters: Record<string, TfjsEmitter> = {
  conv2d({ node, inputs, weights, add }) {
    const { filters, kernelH, kernelW, stride, padding, bias, groups } = p(node) as {
      filters: number;
      kernelH: number;
      kernelW: number;
      stride: number;
      padding: number | 'same';
      bias: boolean;
      groups: number;
    };
    const channels = node.inShapes[0][0];
    if (groups !== 1 && groups !== channels) {
      throw new FormatError(
        `node '${node.id}': TF.js Layers has depthwise convolution (groups = channels, ${channels}) but no grouped convolution with ${groups} groups`,
      );
    }
    // TF's 'same' is the engine's 'same' (odd pixel at the bottom/right); P pixels need a ZeroPadding2D layer first.
    let from = inputs;
    if (typeof padding === 'number' && padding > 0) {
      from = [
        add(
          'ZeroPadding2D',
          `${node.id}_pad`,
          {
            padding: [
              [padding, padding],
              [padding, padding],
            ],
            ...NHWC,
          },
          inputs,
        ),
      ];
    }
    const shared = {
      kernel_size: [kernelH, kernelW],
      strides: [stride, stride],
      padding: padding === 'same' ? 'same' : 'valid',
      dilation_rate: [1, 1],
      activation: 'linear',
      use_bias: bias,
      ...NHWC,
    };
    if (groups !== 1) {
      // Depthwise: filter c·M + m reads channel c in both conventions, so [F,1,KH,KW] = [C,M,KH,KW] → [KH,KW,C,M].
      const m = filters / channels;
      const kernel = transpose({ shape: [channels, m, kernelH, kernelW], data: weights.kernel.data }, [2, 3, 0, 1]);
      const w: Record<string, Tensor> = { depthwise_kernel: kernel };
      if (bias) w.bias = weights.bias;
      return add('DepthwiseConv2D', node.id, { ...shared, depth_multiplier: m }, from, w);
    }
    const w: Record<string, Tensor> = { kernel: transpose(weights.kernel, [2, 3, 1, 0]) }; // [F,C,KH,KW] → [KH,KW,C,F]
    if (bias) w.bias = weights.bias;
    return add('Conv2D', node.id, { filters, ...shared }, from, w);
  },
  maxpool2d: pooling('MaxPooling2D'),
  avgpool2d: pooling('AveragePooling2D'),
  // One window over the whole map keeps the C×1×1 shape (Keras's Global…Pooling2D would drop the two axes).
  globalavgpool: globalPooling('AveragePooling2D'),
  globalmaxpool: globalPooling('MaxPooling2D'),
  flatten({ node, inputs, add }) {
    // A vector is already flat, and Keras's Flatten refuses rank-2 input: the node is a no-op.
    if (node.inShapes[0].length === 1) return inputs[0];
    // TF.js feature maps are H×W×C, so its Flatten would interleave channels. Permuting to C×H×W first
    // gives the engine's order (channel by channel, row by row), whatever follows: a dense layer, a
    // softmax or a concat all see the same vector as in Convas, and the dense kernels need no reordering.
    const chw = add('Permute', `${node.id}_chw`, { dims: [3, 1, 2] }, inputs);
    return add('Flatten', node.id, {}, [chw]);
  },
  dense({ node, inputs, weights, add }) {
    const { units, bias } = p(node) as { units: number; bias: boolean };
    const w: Record<string, Tensor> = { kernel: transpose(weights.kernel, [1, 0]) }; // [units, in] → [in, units]
    if (bias) w.bias = weights.bias;
    return add('Dense', node.id, { units, activation: 'linear', use_bias: bias }, inputs, w);
  },
  relu: activation('relu'),
  relu6: activation('relu6'),
  sigmoid: activation('sigmoid'),
  tanh: activation('tanh'),
  softmax: activation('softmax'),
  leaky_relu: ({ node, inputs, add }) => add('LeakyReLU', node.id, { alpha: p(node).slope }, inputs),
  dropout: ({ node, inputs, add }) => add('Dropout', node.id, { rate: p(node).rate }, inputs),
  batchnorm({ node, inputs, weights, add }) {
    const { momentum, epsilon } = p(node) as { momentum: number; epsilon: number };
    // Keras keeps `momentum` of the old running value; the engine (PyTorch's convention) gives the batch's weight.
    return add(
      'BatchNormalization',
      node.id,
      { axis: -1, momentum: 1 - momentum, epsilon, center: true, scale: true },
      inputs,
      {
        gamma: weights.gamma,
        beta: weights.beta,
        moving_mean: weights.runningMean,
        moving_variance: weights.runningVar,
      },
    );
  },
  add: ({ node, inputs, add }) => add('Add', node.id, {}, inputs),
  // The engine joins along channels (NCHW axis 1), which is the last axis in NHWC, and the only axis of a vector.
  concat: ({ node, inputs, add }) => add('Concatenate', node.id, { axis: -1 }, inputs),
};

export function tfjsEmitter(node: CompiledNode): TfjsEmitter {
  const rule = Object.hasOwn(tfjsEmitters, node.def.type) ? tfjsEmitters[node.def.type] : undefined;
  if (!rule) throw new FormatError(`node '${node.id}': TF.js export has no rule for the layer type '${node.def.type}'`);
  return rule;
}
