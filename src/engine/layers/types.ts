import type { Rng } from '../rng';
import type { Shape, Tensor } from '../tensor';

/** Palette groups, in the order the palette shows them. */
export const CATEGORIES = [
  'input',
  'convolution',
  'pooling',
  'dense',
  'activation',
  'regularisation',
  'merge',
  'output',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** A parameter described as data, so that the palette and the inspector can be generated from it. */
export type ParamSpec =
  | { kind: 'int'; label: string; default: number; min: number; max: number; help: string }
  | { kind: 'number'; label: string; default: number; min: number; max: number; help: string }
  | { kind: 'bool'; label: string; default: boolean; help: string }
  | { kind: 'choice'; label: string; default: string; choices: readonly string[]; help: string }
  /** A whole number of zero-padding pixels, or 'same' (output size = ceil(input / stride)). */
  | { kind: 'padding'; label: string; default: number | 'same'; min: number; max: number; help: string };

export type ParamValue = number | boolean | string;
export type Params = Readonly<Record<string, ParamValue>>;

/** How a weight tensor starts: He (fan-in, for ReLU-like layers), Glorot (fan-in + fan-out), or a constant. */
export type WeightInit = 'he' | 'glorot' | 'zeros' | 'ones';

export interface WeightSpec {
  /** Name inside the layer: 'kernel', 'bias', 'gamma', ... The full name is `${nodeId}.${name}`. */
  name: string;
  shape: Shape;
  init: WeightInit;
  /** Non-trainable tensors (batch-norm running statistics) are saved and exported but never stepped. */
  trainable: boolean;
  fanIn: number;
  fanOut: number;
}

export interface ForwardArgs<P> {
  params: P;
  /** One tensor per input port, each with the batch axis first. */
  inputs: readonly Tensor[];
  /** In the order the layer's `weights()` listed them. */
  weights: readonly Tensor[];
  training: boolean;
  rng: Rng;
  /**
   * Optional (added for the training workers): a zero-filled tensor for the layer's output, a cache or, in
   * backward, an input gradient. A network that recycles its buffers from one step to the next supplies it;
   * such a tensor stays valid until that network's next forward pass. Layers call `allocate(args, shape)`
   * (layers/define.ts), which makes a new tensor when the network supplies none. With `zeroed` false the
   * recycled buffer is handed out as it is, for an array the layer overwrites whole (`allocateOverwritten`).
   */
  alloc?(shape: Shape, zeroed?: boolean): Tensor;
}

export interface ForwardResult {
  output: Tensor;
  /** Whatever backward needs (an argmax, a dropout mask, normalised inputs). */
  cache?: unknown;
}

export interface BackwardArgs<P> extends ForwardArgs<P> {
  output: Tensor;
  cache: unknown;
  gradOutput: Tensor;
  /** Gradient buffers, one per weight, to ADD into (they may already hold a sum). */
  weightGrads: readonly Tensor[];
  /**
   * Optional (added for the training workers): false for an input whose gradient nobody needs (the network's
   * own input, when the caller does not ask for it). A layer may then skip that work and return null for it.
   * Absent: every input needs its gradient.
   */
  needInputGrads?: readonly boolean[];
}

/**
 * The layer contract. One file per layer type exports one of these; the registry refuses duplicates.
 * Shapes passed to `inferShape` and `weights` are per example (no batch axis).
 */
export interface LayerDef<P extends Params = Params> {
  type: string;
  label: string;
  category: Category;
  /** One paragraph for the inspector: what the layer does and its trade-offs. */
  help: string;
  params: Readonly<Record<keyof P & string, ParamSpec>>;
  /** How many inputs it takes: [min, max]. Merge layers take [2, Infinity]. */
  arity: readonly [number, number];
  /** The output shape, or throw ShapeError with a message a user can act on. */
  inferShape(inputs: readonly Shape[], params: P): Shape;
  weights?(inputs: readonly Shape[], params: P): WeightSpec[];
  forward(args: ForwardArgs<P>): ForwardResult;
  /** Gradients with respect to each input (null where no gradient flows, as for the input layer). */
  backward(args: BackwardArgs<P>): (Tensor | null)[];
  /**
   * Optional: this layer and a ReLU after it in one pass, which a training step runs when the ReLU is the only
   * reader of this layer's output (Network, fusion.ts). forward returns the ReLU's output; backward receives that
   * as `output` and the ReLU's output gradient as `gradOutput`. Both must give exactly the bits of the two layers
   * run one after the other; tests/engine/fusion.test.ts checks that they do.
   */
  withRelu?: {
    forward(args: ForwardArgs<P>): ForwardResult;
    backward(args: BackwardArgs<P>): (Tensor | null)[];
  };
  /** Multiply-accumulates per example, for the status bar and the benchmarks. */
  macs?(inputs: readonly Shape[], output: Shape, params: P): number;
  /**
   * Something the user should know about a valid node (a window that leaves input rows unread), or null.
   * Called only after inferShape succeeded; a notice never stops training or export.
   */
  notice?(inputs: readonly Shape[], params: P): string | null;
}

/** A shape problem a user caused; the graph compiler adds the node's id and name. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}
