import type { CompiledNode } from '../../graph';
import { tensor, type Tensor } from '../../tensor';
import { explicitPads } from '../padding';
import { FormatError } from '../types';
import type { OnnxBuilder } from './build';

/** What a rule receives for one Convas node: its input value names and its weights by name ('kernel', 'bias', ...). */
export interface OnnxEmitArgs {
  b: OnnxBuilder;
  node: CompiledNode;
  inputs: string[];
  weights: Record<string, Tensor>;
}

/**
 * Writes the ONNX nodes for one Convas node. Their output value is named after the node's id; a rule that
 * writes nothing (a layer that is the identity at inference) returns the name of the value standing for it.
 */
export type OnnxEmitter = (args: OnnxEmitArgs) => string | void;

const p = (node: CompiledNode) => node.params as Record<string, number | string | boolean>;

function pooling(opType: 'MaxPool' | 'AveragePool'): OnnxEmitter {
  return ({ b, node, inputs }) => {
    const { size, stride, padding, ceil } = p(node) as { size: number; stride: number; padding: number; ceil: boolean };
    const attrs = {
      kernel_shape: { ints: [size, size] },
      strides: { ints: [stride, stride] },
      pads: { ints: explicitPads(node.inShapes[0], size, size, stride, padding) },
      // ONNX rounds pooling as the engine does: floor by default, ceil_mode=1 as PyTorch's ceil_mode.
      ceil_mode: { int: ceil ? 1 : 0 },
    };
    // The engine never counts padded cells in an average; ONNX must be told so (count_include_pad=0 is its default too).
    b.node(
      opType,
      node.id,
      inputs,
      [node.id],
      opType === 'AveragePool' ? { ...attrs, count_include_pad: { int: 0 } } : attrs,
    );
  };
}

const scalar = (v: number): Tensor => tensor([], [v]);

const unary =
  (opType: string): OnnxEmitter =>
  ({ b, node, inputs }) =>
    b.node(opType, node.id, inputs, [node.id]);

/** One rule per Convas layer type. A layer type missing here cannot be exported to ONNX, and says so. */
export const onnxEmitters: Record<string, OnnxEmitter> = {
  conv2d({ b, node, inputs, weights }) {
    const { kernelH, kernelW, stride, padding } = p(node) as {
      kernelH: number;
      kernelW: number;
      stride: number;
      padding: number | 'same';
    };
    const ins = [inputs[0], b.weight(`${node.id}.kernel`, weights.kernel)];
    if (weights.bias) ins.push(b.weight(`${node.id}.bias`, weights.bias));
    b.node('Conv', node.id, ins, [node.id], {
      kernel_shape: { ints: [kernelH, kernelW] },
      strides: { ints: [stride, stride] },
      pads: { ints: explicitPads(node.inShapes[0], kernelH, kernelW, stride, padding) },
      dilations: { ints: [1, 1] },
      // The engine's grouped kernel is ONNX's layout, [F, C/group, KH, KW].
      group: { int: (p(node).groups as number | undefined) ?? 1 },
    });
  },
  maxpool2d: pooling('MaxPool'),
  avgpool2d: pooling('AveragePool'),
  globalavgpool: unary('GlobalAveragePool'),
  globalmaxpool: unary('GlobalMaxPool'),
  // NCHW flattened from axis 1 is channel by channel, row by row: the engine's order exactly.
  flatten: ({ b, node, inputs }) => b.node('Flatten', node.id, inputs, [node.id], { axis: { int: 1 } }),
  dense({ b, node, inputs, weights }) {
    // The engine's dense kernel is [units, inputs]: Gemm computes x · Bᵀ + C with transB=1, no copy needed.
    const ins = [inputs[0], b.weight(`${node.id}.kernel`, weights.kernel)];
    if (weights.bias) ins.push(b.weight(`${node.id}.bias`, weights.bias));
    b.node('Gemm', node.id, ins, [node.id], {
      alpha: { float: 1 },
      beta: { float: 1 },
      transA: { int: 0 },
      transB: { int: 1 },
    });
  },
  relu: unary('Relu'),
  // Opset 13's Clip takes its bounds as inputs, not attributes.
  relu6: ({ b, node, inputs }) =>
    b.node(
      'Clip',
      node.id,
      [inputs[0], b.weight(`${node.id}.min`, scalar(0)), b.weight(`${node.id}.max`, scalar(6))],
      [node.id],
    ),
  sigmoid: unary('Sigmoid'),
  tanh: unary('Tanh'),
  leaky_relu: ({ b, node, inputs }) =>
    b.node('LeakyRelu', node.id, inputs, [node.id], { alpha: { float: p(node).slope as number } }),
  softmax: ({ b, node, inputs }) => b.node('Softmax', node.id, inputs, [node.id], { axis: { int: 1 } }),
  // Dropout is the identity at inference, so the inference graph leaves it out; the Convas graph in the
  // file's metadata lets a re-import put it back.
  dropout: ({ inputs }) => inputs[0],
  batchnorm({ b, node, inputs, weights }) {
    const { epsilon, momentum } = p(node) as { epsilon: number; momentum: number };
    const ins = [
      inputs[0],
      ...(['gamma', 'beta', 'runningMean', 'runningVar'] as const).map((w) => b.weight(`${node.id}.${w}`, weights[w])),
    ];
    // ONNX (like Keras) keeps `momentum` of the old running value; the engine (like PyTorch) gives the batch's weight.
    b.node('BatchNormalization', node.id, ins, [node.id], {
      epsilon: { float: epsilon },
      momentum: { float: 1 - momentum },
    });
  },
  add: ({ b, node, inputs }) => b.node(inputs.length === 2 ? 'Add' : 'Sum', node.id, inputs, [node.id]),
  concat: ({ b, node, inputs }) => b.node('Concat', node.id, inputs, [node.id], { axis: { int: 1 } }),
};

export function onnxEmitter(node: CompiledNode): OnnxEmitter {
  const rule = Object.hasOwn(onnxEmitters, node.def.type) ? onnxEmitters[node.def.type] : undefined;
  if (!rule) throw new FormatError(`node '${node.id}': ONNX export has no rule for the layer type '${node.def.type}'`);
  return rule;
}
