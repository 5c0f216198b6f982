import type { CompiledNode } from '../../graph';
import { explicitPads } from '../padding';
import { FormatError } from '../types';

/** A Python literal for a parameter value: numbers as JavaScript prints them (valid Python), booleans capitalised. */
export function py(v: number | boolean | string): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

/**
 * What a rule gets for one Convas node: its attribute name in the module (`self.<name>`), the Python
 * variables holding its inputs, and `attr`, which reserves a further attribute name (for a padding module).
 */
export interface TorchEmitArgs {
  node: CompiledNode;
  name: string;
  inputs: string[];
  attr(suffix: string): string;
}

/** A node's PyTorch code: submodules to create in __init__, the expression for forward, its weights' state_dict names. */
export interface TorchCode {
  modules: [attr: string, constructor: string][];
  expr: string;
  /** Convas weight name inside the node ('kernel') → state_dict name inside its module ('weight'). */
  weights?: Record<string, string>;
}

export type TorchEmitter = (args: TorchEmitArgs) => TorchCode;

const p = (node: CompiledNode) => node.params as Record<string, number | string | boolean>;

/** Conv2d and Linear name their tensors 'weight' and 'bias'. */
const linearWeights = (bias: boolean): Record<string, string> =>
  bias ? { kernel: 'weight', bias: 'bias' } : { kernel: 'weight' };

/** A stateless module applied to the single input. */
const simple =
  (ctor: (node: CompiledNode) => string): TorchEmitter =>
  ({ node, name, inputs }) => ({ modules: [[name, ctor(node)]], expr: `self.${name}(${inputs[0]})` });

function pooling(cls: 'MaxPool2d' | 'AvgPool2d'): TorchEmitter {
  return simple((node) => {
    const { size, stride, padding, ceil } = p(node) as {
      size: number;
      stride: number;
      padding: number;
      ceil: boolean;
    };
    // PyTorch pads pooling implicitly (never counted) but refuses more than half the window.
    if (2 * padding > size) {
      throw new FormatError(
        `node '${node.id}': PyTorch pooling pads at most half the window (${size}), this one pads ${padding}; use less padding`,
      );
    }
    const extra = (ceil ? ', ceil_mode=True' : '') + (cls === 'AvgPool2d' ? ', count_include_pad=False' : '');
    return `nn.${cls}(kernel_size=${size}, stride=${stride}, padding=${padding}${extra})`;
  });
}

/** One rule per Convas layer type. Weight layouts need no change: the engine already uses PyTorch's. */
export const torchEmitters: Record<string, TorchEmitter> = {
  conv2d({ node, name, inputs, attr }) {
    const { filters, kernelH, kernelW, stride, padding, bias, groups } = p(node) as {
      filters: number;
      kernelH: number;
      kernelW: number;
      stride: number;
      padding: number | 'same';
      bias: boolean;
      groups: number;
    };
    const [top, left, bottom, right] = explicitPads(node.inShapes[0], kernelH, kernelW, stride, padding);
    const channels = node.inShapes[0][0];
    const conv = (pad: string) =>
      `nn.Conv2d(${channels}, ${filters}, kernel_size=(${kernelH}, ${kernelW}), stride=${stride}, padding=${pad}${groups === 1 ? '' : `, groups=${groups}`}, bias=${py(bias)})`;
    const weights = linearWeights(bias);
    if (top === bottom && left === right)
      return { modules: [[name, conv(`(${top}, ${left})`)]], expr: `self.${name}(${inputs[0]})`, weights };
    // 'same' with an even total puts the odd pixel at the bottom/right; Conv2d pads symmetrically, so pad first.
    const pad = attr('pad');
    return {
      modules: [
        [pad, `nn.ZeroPad2d((${left}, ${right}, ${top}, ${bottom}))`],
        [name, conv('0')],
      ],
      expr: `self.${name}(self.${pad}(${inputs[0]}))`,
      weights,
    };
  },
  maxpool2d: pooling('MaxPool2d'),
  avgpool2d: pooling('AvgPool2d'),
  globalavgpool: simple(() => 'nn.AdaptiveAvgPool2d(1)'),
  globalmaxpool: simple(() => 'nn.AdaptiveMaxPool2d(1)'),
  // NCHW flattened from dim 1 is the engine's order; on a vector it changes nothing.
  flatten: simple(() => 'nn.Flatten(1)'),
  dense: ({ node, name, inputs }) => {
    const { units, bias } = p(node) as { units: number; bias: boolean };
    return {
      modules: [[name, `nn.Linear(${node.inShapes[0][0]}, ${units}, bias=${py(bias)})`]],
      expr: `self.${name}(${inputs[0]})`,
      weights: linearWeights(bias),
    };
  },
  relu: simple(() => 'nn.ReLU()'),
  relu6: simple(() => 'nn.ReLU6()'),
  sigmoid: simple(() => 'nn.Sigmoid()'),
  tanh: simple(() => 'nn.Tanh()'),
  leaky_relu: simple((node) => `nn.LeakyReLU(negative_slope=${py(p(node).slope)})`),
  softmax: simple(() => 'nn.Softmax(dim=1)'),
  dropout: simple((node) => `nn.Dropout(p=${py(p(node).rate)})`),
  batchnorm: ({ node, name, inputs }) => {
    const { momentum, epsilon } = p(node) as { momentum: number; epsilon: number };
    const shape = node.inShapes[0];
    // The engine's momentum is PyTorch's: the weight of the new batch in the running statistics.
    return {
      modules: [
        [
          name,
          `nn.BatchNorm${shape.length === 3 ? '2d' : '1d'}(${shape[0]}, eps=${py(epsilon)}, momentum=${py(momentum)})`,
        ],
      ],
      expr: `self.${name}(${inputs[0]})`,
      weights: { gamma: 'weight', beta: 'bias', runningMean: 'running_mean', runningVar: 'running_var' },
    };
  },
  add: ({ inputs }) => ({ modules: [], expr: inputs.join(' + ') }),
  concat: ({ inputs }) => ({ modules: [], expr: `torch.cat([${inputs.join(', ')}], dim=1)` }),
};

export function torchEmitter(node: CompiledNode): TorchEmitter {
  const rule = Object.hasOwn(torchEmitters, node.def.type) ? torchEmitters[node.def.type] : undefined;
  if (!rule)
    throw new FormatError(`node '${node.id}': PyTorch export has no rule for the layer type '${node.def.type}'`);
  return rule;
}
