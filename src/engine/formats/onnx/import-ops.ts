import type { ParamValue } from '../../../shared/graph';
import { sizeOf, tensor, type Shape, type Tensor } from '../../tensor';
import { explicitPads } from '../padding';
import { transpose } from '../layout';
import { FormatError } from '../types';
import { FOLDABLE } from './fold';
import type { Attributes, OnnxConstant } from './read';

/** A computed ONNX value: the Convas node that holds it and its per-example shape (no batch axis). */
export interface Value {
  node: string;
  shape: Shape;
}

/** A Convas node being built from ONNX nodes (a fused bias may still be added to it). */
export interface ImportedNode {
  id: string;
  type: string;
  params: Record<string, ParamValue>;
  inputs: string[];
  weights: Record<string, Tensor>;
}

/** What an operator rule sees of one ONNX node and of the import so far. */
export interface OpContext {
  /** "ONNX node 'name' (OpType)", to start error messages. */
  where: string;
  attrs: Attributes;
  opset: number;
  /** How many inputs the node lists (empty names included). */
  inputCount: number;
  /** Whether input i is given (ONNX leaves optional inputs out with an empty name). */
  has(i: number): boolean;
  /** The computed value at input i; throws when it is a constant or missing. */
  value(i: number): Value;
  /** The constant at input i (initializer or Constant), or null when it is computed or absent. */
  constant(i: number): OnnxConstant | null;
  /** How many times input i's value is read in the ONNX graph (node inputs and graph outputs). */
  uses(i: number): number;
  /** The Convas node whose output is exactly input i's ONNX value (not an alias of it), if any. */
  producer(i: number): ImportedNode | null;
  /** A parameter of the Convas graph stored in the file's metadata for the node this ONNX node becomes, if any. */
  hint(key: string): ParamValue | undefined;
  /** Adds a Convas node fed by `inputs` and returns its value. */
  emit(type: string, params: Record<string, ParamValue>, inputs: Value[], weights?: Record<string, Tensor>): Value;
}

/** A rule turns one ONNX node into Convas nodes and returns the value of its first output. */
export type OpRule = (ctx: OpContext) => Value;

const fail = (ctx: OpContext, msg: string): never => {
  throw new FormatError(`${ctx.where}: ${msg}`);
};

/** A constant input that must be there, as a float32 tensor of the given rank. */
function weight(ctx: OpContext, i: number, what: string, rank?: number): Tensor {
  const c = ctx.constant(i);
  if (!c) return fail(ctx, `its ${what} (input ${i}) must be a constant weight tensor, it is computed`);
  if (rank !== undefined && c.dims.length !== rank)
    fail(ctx, `its ${what} has rank ${c.dims.length}, expected ${rank}`);
  return tensor(c.dims, Float32Array.from(c.values));
}

/** A per-channel vector constant: [n], [1, n] or [1, n, 1, 1] all hold n values; a scalar or [1] is broadcast. */
function vectorOf(ctx: OpContext, c: OnnxConstant, n: number, what: string): Tensor {
  const count = sizeOf(c.dims);
  const longAxes = c.dims.filter((d) => d !== 1).length;
  if (count === n && longAxes <= 1) return tensor([n], Float32Array.from(c.values));
  if (count === 1) return tensor([n], new Float32Array(n).fill(c.values[0]));
  return fail(ctx, `its ${what} has shape [${c.dims.join(', ')}], expected ${n} values (one per channel or unit)`);
}

function requireUnit(ctx: OpContext, name: string, values: number[] | null, what: string): void {
  if (values && values.some((v) => v !== 1)) fail(ctx, `${name} [${values.join(', ')}] is not supported (${what})`);
}

/** Both strides of a 2-D window must agree: the engine has one stride. */
function stride(ctx: OpContext): number {
  const s = ctx.attrs.ints('strides', [1, 1])!;
  if (s.length !== 2 || s[0] !== s[1] || s[0] < 1)
    fail(ctx, `strides [${s.join(', ')}]: Convas layers take one stride of at least 1 for height and width`);
  return s[0];
}

/**
 * The engine's padding (a number for every side, or 'same') equal to an ONNX window's pads/auto_pad, or a
 * refusal. Symmetric pads are a number unless the file said 'same' (auto_pad, or the Convas metadata) for
 * the same pads; asymmetric pads must be TensorFlow's 'same' (the odd pixel at the end), which the engine has.
 */
function padding(ctx: OpContext, input: Shape, kh: number, kw: number, s: number, allowSame: boolean): number | 'same' {
  const autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  const same = explicitPads(input, kh, kw, s, 'same');
  let pads: number[];
  if (autoPad === 'VALID') pads = [0, 0, 0, 0];
  else if (autoPad === 'SAME_UPPER') pads = same;
  else if (autoPad === 'SAME_LOWER')
    pads = [same[2], same[3], same[0], same[1]]; // the odd pixel at the start
  else if (autoPad === 'NOTSET') pads = ctx.attrs.ints('pads', [0, 0, 0, 0])!;
  else return fail(ctx, `auto_pad '${autoPad}' is not an ONNX value`);
  if (pads.length !== 4) fail(ctx, `pads [${pads.join(', ')}] are not 2-D pads [top, left, bottom, right]`);
  const symmetric = pads.every((v) => v === pads[0]);
  const isSame = pads.every((v, i) => v === same[i]);
  if (allowSame && isSame && (!symmetric || autoPad !== 'NOTSET' || ctx.hint('padding') === 'same')) return 'same';
  // The engine rounds the output size down as ONNX does, so symmetric pads need no further check.
  if (symmetric) return pads[0];
  const expected = allowSame
    ? "neither equal on every side nor TensorFlow's 'same'"
    : 'not equal on every side, as Convas pooling needs';
  return fail(ctx, `pads [${pads.join(', ')}] (top, left, bottom, right) are ${expected}`);
}

function requireImage(ctx: OpContext, v: Value): [number, number, number] {
  if (v.shape.length !== 3) fail(ctx, `needs an image input [batch, C, H, W], got [batch, ${v.shape.join(', ')}]`);
  return [v.shape[0], v.shape[1], v.shape[2]];
}

function pool(type: 'maxpool2d' | 'avgpool2d'): OpRule {
  return (ctx) => {
    const x = ctx.value(0);
    requireImage(ctx, x);
    const k = ctx.attrs.ints('kernel_shape', null);
    if (!k || k.length !== 2 || k[0] !== k[1])
      return fail(ctx, `kernel_shape ${k ? `[${k.join(', ')}]` : 'missing'}: Convas pools with square windows`);
    requireUnit(ctx, 'dilations', ctx.attrs.ints('dilations', null), 'dilated pooling');
    const s = stride(ctx);
    const pad = padding(ctx, x.shape, k[0], k[1], s, false) as number;
    const ceil = ctx.attrs.int('ceil_mode', 0) === 1;
    if (type === 'avgpool2d' && pad > 0 && ctx.attrs.int('count_include_pad', 0) === 1) {
      fail(ctx, 'count_include_pad=1 averages padded zeros in, while Convas averages only the real pixels');
    }
    return ctx.emit(type, { size: k[0], stride: s, padding: pad, ceil }, [x]);
  };
}

/** GlobalAveragePool / GlobalMaxPool: one number per feature map, [batch, C, 1, 1]. */
function globalPool(type: 'globalmaxpool' | 'globalavgpool'): OpRule {
  return (ctx) => {
    const x = ctx.value(0);
    requireImage(ctx, x);
    return ctx.emit(type, {}, [x]);
  };
}

/**
 * ReduceMean / ReduceMax over the two spatial axes (PyTorch's `x.mean((2, 3))`, `x.amax((2, 3))`) are global
 * pooling; without keepdims the [batch, C] result is the flattened pool. Other axes are refused.
 */
function reduce(type: 'globalmaxpool' | 'globalavgpool'): OpRule {
  return (ctx) => {
    const x = ctx.value(0);
    requireImage(ctx, x);
    // The axes are an attribute until opset 18, an input from then on.
    const axes = ctx.constant(1) ? [...ctx.constant(1)!.values] : ctx.attrs.ints('axes', null);
    const spatial =
      axes &&
      axes.length === 2 &&
      axes
        .map((a) => (a < 0 ? a + 4 : a))
        .sort()
        .join() === '2,3';
    if (!spatial)
      fail(
        ctx,
        `reduces over axes ${axes ? `[${axes.join(', ')}]` : 'all'}; Convas reads it only over the spatial axes [2, 3] of [batch, C, H, W] (global pooling)`,
      );
    const pooled = ctx.emit(type, {}, [x]);
    return ctx.attrs.int('keepdims', 1) === 1 ? pooled : ctx.emit('flatten', {}, [pooled]);
  };
}

/**
 * ONNX stores float attributes as float32, so 0.01 arrives as 0.009999999776482582. The shortest decimal
 * with the same float32 value gives the parameter back as the user typed it (and the same float32 again).
 */
export function shortFloat(v: number): number {
  const f = Math.fround(v);
  for (let digits = 1; digits <= 9; digits++) {
    const d = Number(f.toPrecision(digits));
    if (Math.fround(d) === f) return d;
  }
  return f;
}

/** The initialisation a Convas-made file recorded for this node: it does not change the imported weights, only a later re-initialisation. */
function initHint(ctx: OpContext): { init?: ParamValue } {
  const init = ctx.hint('init');
  return init === undefined ? {} : { init };
}

const activation =
  (type: string): OpRule =>
  (ctx) =>
    ctx.emit(type, {}, [ctx.value(0)]);

/** An add of a constant right after a bias-less Conv or MatMul is that layer's bias. */
function fuseBias(ctx: OpContext, valueIndex: number, c: OnnxConstant): Value | null {
  const node = ctx.producer(valueIndex);
  if (!node || ctx.uses(valueIndex) !== 1 || node.params.bias !== false) return null;
  if (node.type === 'dense') {
    node.weights.bias = vectorOf(ctx, c, node.params.units as number, 'bias');
  } else if (node.type === 'conv2d') {
    // A conv bias arrives as [F, 1, 1] or [1, F, 1, 1] (one value per channel, broadcast over the map).
    if (c.dims.length > 1 && c.dims.slice(-2).some((d) => d !== 1)) return null;
    node.weights.bias = vectorOf(ctx, c, node.params.filters as number, 'bias');
  } else return null;
  node.params.bias = true;
  return ctx.value(valueIndex);
}

/** One rule per ONNX operator Convas reads. Anything else is refused by name. */
export const opRules: Record<string, OpRule> = {
  Conv(ctx) {
    const x = ctx.value(0);
    const [c] = requireImage(ctx, x);
    const kernel = weight(ctx, 1, 'kernel', 4);
    const [f, kc, kh, kw] = kernel.shape;
    const groups = ctx.attrs.int('group', 1);
    requireUnit(ctx, 'dilations', ctx.attrs.ints('dilations', null), 'dilated convolution');
    if (groups < 1 || c % groups !== 0 || f % groups !== 0 || kc * groups !== c)
      fail(
        ctx,
        groups === 1
          ? `the kernel has ${kc} input channels, the input has ${c}`
          : `group=${groups} with a kernel of ${kc} input channels per group does not fit an input of ${c} channels`,
      );
    const s = stride(ctx);
    const pad = padding(ctx, x.shape, kh, kw, s, true);
    const weights: Record<string, Tensor> = { kernel };
    const b = ctx.constant(2);
    if (ctx.has(2) && !b) fail(ctx, 'its bias must be a constant weight tensor');
    if (b) weights.bias = vectorOf(ctx, b, f, 'bias');
    return ctx.emit(
      'conv2d',
      { filters: f, kernelH: kh, kernelW: kw, stride: s, padding: pad, groups, bias: !!b, ...initHint(ctx) },
      [x],
      weights,
    );
  },
  MaxPool(ctx) {
    if (ctx.attrs.int('storage_order', 0) !== 0) fail(ctx, 'storage_order=1 is not supported');
    return pool('maxpool2d')(ctx);
  },
  AveragePool: pool('avgpool2d'),
  GlobalAveragePool: globalPool('globalavgpool'),
  GlobalMaxPool: globalPool('globalmaxpool'),
  ReduceMean: reduce('globalavgpool'),
  ReduceMax: reduce('globalmaxpool'),
  Gemm(ctx) {
    const x = ctx.value(0);
    if (x.shape.length !== 1) fail(ctx, `needs a flat input [batch, features], got [batch, ${x.shape.join(', ')}]`);
    if (ctx.attrs.int('transA', 0) !== 0) fail(ctx, 'transA=1 (a transposed batch) is not supported');
    const b = weight(ctx, 1, 'weight matrix B', 2);
    // Convas stores [units, inputs], which is B as Gemm reads it with transB=1.
    let kernel = ctx.attrs.int('transB', 0) === 1 ? b : transpose(b, [1, 0]);
    const alpha = ctx.attrs.float('alpha', 1);
    if (alpha !== 1)
      kernel = tensor(
        kernel.shape,
        kernel.data.map((v) => v * alpha),
      );
    const [units, inputs] = kernel.shape;
    if (inputs !== x.shape[0]) fail(ctx, `B takes ${inputs} inputs, the input has ${x.shape[0]} features`);
    const weights: Record<string, Tensor> = { kernel };
    const c = ctx.constant(2);
    if (ctx.has(2) && !c) fail(ctx, 'its bias C must be a constant weight tensor');
    if (c) {
      const beta = ctx.attrs.float('beta', 1);
      const bias = vectorOf(ctx, c, units, 'bias C');
      weights.bias =
        beta === 1
          ? bias
          : tensor(
              bias.shape,
              bias.data.map((v) => v * beta),
            );
    }
    return ctx.emit('dense', { units, bias: !!c, ...initHint(ctx) }, [x], weights);
  },
  MatMul(ctx) {
    const x = ctx.value(0);
    if (x.shape.length !== 1) fail(ctx, `needs a flat input [batch, features], got [batch, ${x.shape.join(', ')}]`);
    const b = weight(ctx, 1, 'weight matrix', 2);
    if (b.shape[0] !== x.shape[0])
      fail(ctx, `the matrix takes ${b.shape[0]} inputs, the input has ${x.shape[0]} features`);
    // MatMul's B is [inputs, units]; a following Add of a constant becomes the bias (see Add).
    return ctx.emit('dense', { units: b.shape[1], bias: false, ...initHint(ctx) }, [x], {
      kernel: transpose(b, [1, 0]),
    });
  },
  Add(ctx) {
    const c0 = ctx.constant(0);
    const c1 = ctx.constant(1);
    if (c0 && c1) return fail(ctx, 'adds two constants');
    if (c0 || c1) {
      const fused = c1 ? fuseBias(ctx, 0, c1) : fuseBias(ctx, 1, c0!);
      if (fused) return fused;
      return fail(
        ctx,
        'adds a constant tensor; Convas reads that only as the bias of the Conv, Gemm or MatMul right before it',
      );
    }
    return ctx.emit('add', {}, [ctx.value(0), ctx.value(1)]);
  },
  Sum(ctx) {
    const values = Array.from({ length: ctx.inputCount }, (_, i) => ctx.value(i));
    return values.length === 1 ? values[0] : ctx.emit('add', {}, values);
  },
  Concat(ctx) {
    const values = Array.from({ length: ctx.inputCount }, (_, i) => ctx.value(i));
    const rank = values[0].shape.length + 1;
    const axis = ctx.attrs.int('axis', 1);
    if (axis !== 1 && axis !== 1 - rank) fail(ctx, `axis=${axis}: Convas concatenates along channels (axis 1) only`);
    return values.length === 1 ? values[0] : ctx.emit('concat', {}, values);
  },
  Relu: activation('relu'),
  Clip(ctx) {
    // Bounds are inputs from opset 11, attributes before; Clip(0, 6) is ReLU6 (PyTorch's nn.ReLU6, MobileNet).
    const bound = (i: number, attr: string, fallback: number) => {
      const c = ctx.constant(i);
      if (ctx.has(i) && !c) fail(ctx, `its ${attr} bound is computed; Convas reads Clip only with constant bounds`);
      return c ? c.values[0] : ctx.attrs.float(attr, fallback);
    };
    const [lo, hi] = [bound(1, 'min', -Infinity), bound(2, 'max', Infinity)];
    if (lo === 0 && hi === 6) return ctx.emit('relu6', {}, [ctx.value(0)]);
    if (lo === 0 && hi === Infinity) return ctx.emit('relu', {}, [ctx.value(0)]);
    return fail(ctx, `Clip(${lo}, ${hi}): Convas reads Clip only as ReLU6, Clip(0, 6), or ReLU, Clip(0, ∞)`);
  },
  Sigmoid: activation('sigmoid'),
  Tanh: activation('tanh'),
  LeakyRelu: (ctx) => ctx.emit('leaky_relu', { slope: shortFloat(ctx.attrs.float('alpha', 0.01)) }, [ctx.value(0)]),
  Softmax(ctx) {
    const x = ctx.value(0);
    const rank = x.shape.length + 1;
    // Before opset 13 the default axis is 1 (over everything after the batch); from 13 it is the last.
    const axis = ctx.attrs.int('axis', ctx.opset >= 13 ? -1 : 1);
    if (rank !== 2 || (axis !== 1 && axis !== -1))
      fail(
        ctx,
        `Convas applies softmax over the features of a flat [batch, features] input; this one is rank ${rank}, axis ${axis}`,
      );
    return ctx.emit('softmax', {}, [x]);
  },
  LogSoftmax(ctx) {
    // log(softmax(z)) ends PyTorch's MNIST example, trained with nll_loss: the same loss as cross-entropy on
    // softmax probabilities. Convas's network outputs the probabilities themselves (their log is the file's
    // output); the importer allows it only as the network's output, and says so (import.ts).
    const x = ctx.value(0);
    const axis = ctx.attrs.int('axis', ctx.opset >= 13 ? -1 : 1);
    if (x.shape.length !== 1 || (axis !== 1 && axis !== -1))
      fail(
        ctx,
        `Convas reads LogSoftmax over the features of a flat [batch, features] input; this one is rank ${x.shape.length + 1}, axis ${axis}`,
      );
    return ctx.emit('softmax', {}, [x]);
  },
  BatchNormalization(ctx) {
    const x = ctx.value(0);
    if (ctx.attrs.int('training_mode', 0) === 1)
      fail(ctx, 'training_mode=1 normalises with batch statistics; Convas imports inference graphs');
    if (x.shape.length !== 1 && x.shape.length !== 3)
      fail(ctx, `needs [batch, C, H, W] or [batch, C], got [batch, ${x.shape.join(', ')}]`);
    const channels = x.shape[0];
    const [gamma, beta, runningMean, runningVar] = ['scale', 'bias B', 'mean', 'variance'].map((what, i) => {
      const c = ctx.constant(i + 1);
      if (!c) return fail(ctx, `its ${what} (input ${i + 1}) must be a constant weight tensor`);
      return vectorOf(ctx, c, channels, what);
    });
    if (runningVar.data.some((v) => v < 0)) fail(ctx, 'its variance has a negative value');
    // ONNX keeps `momentum` of the old running value; the engine gives the new batch's weight.
    const momentum = shortFloat(1 - shortFloat(ctx.attrs.float('momentum', 0.9)));
    const epsilon = shortFloat(ctx.attrs.float('epsilon', 1e-5));
    return ctx.emit('batchnorm', { momentum, epsilon }, [x], { gamma, beta, runningMean, runningVar });
  },
  Flatten(ctx) {
    const x = ctx.value(0);
    const rank = x.shape.length + 1;
    const axis = ctx.attrs.int('axis', 1);
    if (axis !== 1 && axis !== 1 - rank)
      fail(ctx, `axis=${axis}: Convas flattens everything after the batch (axis 1) only`);
    return ctx.emit('flatten', {}, [x]);
  },
  Reshape(ctx) {
    const x = ctx.value(0);
    const target = ctx.constant(1);
    if (!target)
      return fail(ctx, 'its target shape is computed in the graph; Convas reads Reshape only with a constant shape');
    const dims = [...target.values];
    const per = sizeOf(x.shape);
    // Convas reshapes only to flatten: [batch, everything else], written [-1, n], [0, -1], [N, n], ...
    const flat = dims.length === 2 && (dims[1] === per || (dims[1] === -1 && dims[0] !== -1));
    if (!flat)
      fail(
        ctx,
        `reshapes [batch, ${x.shape.join(', ')}] to [${dims.join(', ')}]; Convas reshapes only to flatten to [batch, ${per}]`,
      );
    return x.shape.length === 1 ? x : ctx.emit('flatten', {}, [x]);
  },
  Dropout(ctx) {
    // Inference ignores dropout; its rate is kept so that training in Convas continues as designed.
    const ratio = ctx.constant(1);
    const rate = shortFloat(ratio ? ratio.values[0] : ctx.attrs.float('ratio', 0.5));
    return ctx.emit('dropout', { rate }, [ctx.value(0)]);
  },
  Identity: (ctx) => ctx.value(0),
  Pad(ctx) {
    // PyTorch writes AvgPool2d(ceil_mode=True) as a Pad of nothing before the AveragePool: that Pad is the identity.
    const pads = ctx.constant(1) ? [...ctx.constant(1)!.values] : (ctx.attrs.ints('pads', null) ?? []);
    if (pads.some((v) => v !== 0))
      fail(
        ctx,
        `pads [${pads.join(', ')}] as a layer of its own; Convas pads only inside a convolution or pooling (for PyTorch's AvgPool2d, use count_include_pad=False)`,
      );
    return ctx.value(0);
  },
};

/** The ONNX operators Convas imports, for messages. */
export const SUPPORTED_OPS = [...new Set([...Object.keys(opRules), ...FOLDABLE, 'Constant'])].sort();
