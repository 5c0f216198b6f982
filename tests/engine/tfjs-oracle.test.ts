import { beforeAll, describe, expect, it } from 'vitest';
import {
  meanSquaredError,
  Network,
  Rng,
  softmaxCrossEntropy,
  tensor,
  type NamedWeights,
  type Shape,
  type Tensor,
} from '../../src/engine';
import type { Graph } from '../../src/shared/graph';
import { chain } from '../helpers/graphs';
import {
  expectClose,
  randomNormal,
  randomUniform,
  readTf,
  tf,
  toTf,
  TOLERANCE,
  useTfjsCpu,
  worstError,
  type TfValues,
} from '../helpers/tfjs';

/**
 * The engine's layers and losses against TensorFlow.js (tfjs-core + the CPU backend) on seeded random
 * inputs: outputs, input gradients and weight gradients must agree to 1e-4 (absolute up to magnitude 1,
 * relative above; see TOLERANCE). The engine is NCHW with kernels [F, C, KH, KW] and dense kernels
 * [units, inputs]; tfjs is NHWC with filters [KH, KW, C, F] and dense kernels [inputs, units]. Each tfjs
 * oracle below takes and returns tensors in the engine's layout and transposes inside, so tf.grads hands
 * back gradients already in the engine's layout (the gradient of a transpose is the inverse transpose).
 */

beforeAll(async () => {
  await useTfjsCpu();
  expect(tf.getBackend()).toBe('cpu');
});

/** The same computation as the engine layer, written with tfjs ops: (input, weights in order) → output. */
type Oracle = (x: tf.Tensor, weights: tf.Tensor[]) => tf.Tensor;

const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];
/** [F, C, KH, KW] → [KH, KW, C, F] */
const OIHW_TO_HWIO = [2, 3, 1, 0];

/**
 * Builds input → layer, fills its weights, the input and the upstream gradient dy from one seeded Rng,
 * runs forward (training) and backward in the engine and J = Σ output·dy through tf.grads, then compares
 * the output, dJ/dx and dJ/dw for every weight.
 */
function compareLayer(graph: Graph, xShape: Shape, seed: number, oracle: Oracle): void {
  const rng = new Rng(seed);
  const x = randomUniform(rng, xShape);
  const net = new Network(graph, seed);
  const weights: NamedWeights = {};
  for (const p of net.params) weights[p.name] = randomNormal(rng, p.value.shape, 0.5);
  net.setWeights(weights);

  const trace = net.forward(x, { training: true });
  const y = net.output(trace);
  const dy = randomNormal(rng, y.shape);
  net.zeroGrads();
  const dx = net.backward(trace, dy);
  expect(dx, 'the engine returned no input gradient').not.toBeNull();

  const names = net.params.map((p) => p.name);
  const want = readTf(() => {
    const args = [toTf(x), ...names.map((n) => toTf(weights[n]))];
    const dyT = toTf(dy);
    const f = (...a: tf.Tensor[]) => oracle(a[0], a.slice(1));
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), dyT)))(args);
    const out: Record<string, tf.Tensor> = { output: f(...args), input: grads[0] };
    names.forEach((n, i) => (out[n] = grads[i + 1]));
    return out;
  });

  expectClose('output', y, want.output);
  expectClose('input gradient', dx!, want.input);
  for (const p of net.params) expectClose(`gradient of ${p.name}`, p.grad, want[p.name]);
}

const show = (s: readonly number[]) => `[${s.join(',')}]`;

describe('conv2d against tf.conv2d', () => {
  type Case = { x: Shape; f: [number, number, number, number]; s: number; p: number | 'same'; bias?: boolean };
  // Numeric padding: most sizes chosen so that (H + 2P − FH) divides by S; the last three do not (floored).
  // 'same': odd and even sizes, stride 1 and 2, odd and even kernels, so that both the symmetric case and
  // TensorFlow's "odd padding pixel at the bottom/right" case occur (marked with the padding split).
  const cases: Case[] = [
    { x: [2, 1, 6, 6], f: [4, 1, 3, 3], s: 1, p: 0 },
    { x: [2, 1, 7, 7], f: [3, 1, 3, 3], s: 2, p: 0 },
    { x: [1, 3, 8, 8], f: [5, 3, 2, 2], s: 2, p: 0 },
    { x: [2, 3, 4, 4], f: [5, 3, 1, 1], s: 1, p: 0 },
    { x: [2, 3, 5, 5], f: [2, 3, 3, 3], s: 1, p: 1 },
    { x: [2, 3, 7, 7], f: [4, 3, 3, 3], s: 2, p: 1 },
    { x: [2, 1, 5, 7], f: [3, 1, 3, 3], s: 2, p: 1 },
    { x: [2, 3, 6, 6], f: [4, 3, 5, 5], s: 1, p: 2 },
    { x: [2, 1, 9, 9], f: [2, 1, 5, 5], s: 2, p: 2 },
    { x: [2, 3, 5, 5], f: [4, 3, 3, 3], s: 1, p: 1, bias: false },
    { x: [2, 3, 7, 7], f: [4, 3, 3, 3], s: 1, p: 'same' }, // pads 1/1
    { x: [2, 1, 7, 7], f: [3, 1, 3, 3], s: 2, p: 'same' }, // out 4, pads 1/1
    { x: [2, 3, 8, 8], f: [4, 3, 3, 3], s: 2, p: 'same' }, // out 4, pads 0/1
    { x: [2, 1, 5, 6], f: [4, 1, 4, 4], s: 1, p: 'same' }, // pads 1/2 both axes
    { x: [2, 3, 6, 9], f: [3, 3, 2, 4], s: 2, p: 'same' }, // height pads 0/0, width out 5 pads 1/2
    { x: [1, 3, 7, 8], f: [2, 3, 3, 3], s: 2, p: 'same', bias: false }, // height 1/1, width 0/1
    // Windows that do not tile the input: both round down, floor((H + 2P − FH)/S) + 1, leaving rows unread.
    { x: [2, 1, 8, 8], f: [3, 1, 3, 3], s: 2, p: 0 }, // 3×3, the last row and column unread
    { x: [2, 3, 10, 9], f: [4, 3, 4, 4], s: 3, p: 0 }, // 3×2
    { x: [2, 3, 8, 8], f: [4, 3, 3, 3], s: 2, p: 1 }, // ResNet's downsampling: 4.5 → 4
    // 3×3 stride 1 with 16 channels or more: Winograd F(2×2, 3×3) on the WebAssembly kernels, forward and dx.
    { x: [2, 16, 8, 8], f: [16, 16, 3, 3], s: 1, p: 'same' },
    { x: [1, 20, 12, 11], f: [17, 20, 3, 3], s: 1, p: 1 }, // 12×11: the last tile column half outside
  ];

  const oracle =
    (c: Case): Oracle =>
    (x, [k, b]) => {
      const pad: 'same' | [[0, 0], [number, number], [number, number], [0, 0]] =
        c.p === 'same'
          ? 'same'
          : [
              [0, 0],
              [c.p, c.p],
              [c.p, c.p],
              [0, 0],
            ];
      const xNhwc = tf.transpose(x, NCHW_TO_NHWC) as tf.Tensor4D;
      const kHwio = tf.transpose(k, OIHW_TO_HWIO) as tf.Tensor4D;
      let y: tf.Tensor = tf.conv2d(xNhwc, kHwio, c.s, pad);
      if (b) y = tf.add(y, b); // bias [F] broadcasts over the last (channel) axis
      return tf.transpose(y, NHWC_TO_NCHW);
    };

  cases.forEach((c, i) => {
    const bias = c.bias ?? true;
    it(`conv2d x=${show(c.x)} f=${show(c.f)} s=${c.s} p=${c.p}${bias ? '' : ' no bias'}`, () => {
      const [filters, channels, kernelH, kernelW] = c.f;
      expect(c.x[1]).toBe(channels);
      const graph = chain(
        ['x', 'input', { channels, height: c.x[2], width: c.x[3] }],
        ['conv', 'conv2d', { filters, kernelH, kernelW, stride: c.s, padding: c.p, bias }],
      );
      compareLayer(graph, c.x, 100 + i, oracle(c));
    });
  });
});

describe('grouped and depthwise conv2d against tf.depthwiseConv2d and per-group tf.conv2d', () => {
  // Valid padding (floored where the windows do not fit) and numeric padding; kernels [F, C/groups, KH, KW].
  type Case = { x: Shape; f: number; k: number; s: number; p: number; groups: number };
  const cases: Case[] = [
    { x: [2, 3, 7, 7], f: 3, k: 3, s: 1, p: 0, groups: 3 }, // depthwise
    { x: [2, 3, 8, 8], f: 6, k: 3, s: 2, p: 0, groups: 3 }, // depthwise, multiplier 2, floored
    { x: [2, 4, 9, 9], f: 4, k: 3, s: 2, p: 1, groups: 4 }, // MobileNet's stride-2 depthwise
    { x: [2, 4, 6, 6], f: 6, k: 3, s: 1, p: 0, groups: 2 }, // two groups
    { x: [1, 6, 7, 8], f: 9, k: 2, s: 2, p: 0, groups: 3 }, // three groups, floored
  ];
  const oracle =
    (c: Case): Oracle =>
    (x, [k, b]) => {
      const xs = tf.transpose(x, NCHW_TO_NHWC) as tf.Tensor4D;
      const pad: [[0, 0], [number, number], [number, number], [0, 0]] = [
        [0, 0],
        [c.p, c.p],
        [c.p, c.p],
        [0, 0],
      ];
      let y: tf.Tensor;
      if (c.groups === c.x[1]) {
        // Filter c·M + m reads channel c: [F, 1, KH, KW] = [C, M, KH, KW] → [KH, KW, C, M].
        const m = c.f / c.groups;
        const dw = tf.transpose(tf.reshape(k, [c.groups, m, c.k, c.k]), [2, 3, 0, 1]) as tf.Tensor4D;
        y = tf.depthwiseConv2d(tf.pad(xs, pad), dw, c.s, 'valid');
      } else {
        const xg = tf.split(xs, c.groups, 3);
        const kg = tf.split(k, c.groups, 0);
        y = tf.concat(
          xg.map((xi, g) => tf.conv2d(xi as tf.Tensor4D, tf.transpose(kg[g], OIHW_TO_HWIO) as tf.Tensor4D, c.s, pad)),
          3,
        );
      }
      return tf.transpose(tf.add(y, b), NHWC_TO_NCHW);
    };
  cases.forEach((c, i) => {
    it(`conv2d x=${show(c.x)} f=${c.f} k=${c.k} s=${c.s} p=${c.p} groups=${c.groups}`, () => {
      const graph = chain(
        ['x', 'input', { channels: c.x[1], height: c.x[2], width: c.x[3] }],
        ['conv', 'conv2d', { filters: c.f, kernelH: c.k, kernelW: c.k, stride: c.s, padding: c.p, groups: c.groups }],
      );
      compareLayer(graph, c.x, 150 + i, oracle(c));
    });
  });
});

describe('ceil-mode pooling against tfjs pooling of an input padded at the end', () => {
  // Ceil mode adds a last, partial window; TF.js has no ceil mode, so the oracle pads the bottom and right enough
  // for that window (with −∞ for max, and for average divides window sums by the count of real cells).
  type Case = { x: Shape; k: number; s: number };
  const cases: Case[] = [
    { x: [2, 1, 7, 7], k: 2, s: 2 }, // 4×4 instead of 3×3
    { x: [2, 3, 8, 6], k: 3, s: 2 }, // 4×3 instead of 3×2
    { x: [1, 2, 5, 9], k: 2, s: 3 }, // 2×3 (PyTorch's rule: no window may start past the input)
  ];
  const endPad = (n: number, c: Case) => {
    const out = Math.ceil((n - c.k) / c.s) + 1 - (Math.ceil((n - c.k) / c.s) * c.s >= n ? 1 : 0);
    return Math.max((out - 1) * c.s + c.k - n, 0);
  };
  const padding = (c: Case): [number, number][] => [
    [0, 0],
    [0, endPad(c.x[2], c)],
    [0, endPad(c.x[3], c)],
    [0, 0],
  ];
  const nhwc = (x: tf.Tensor) => tf.transpose(x, NCHW_TO_NHWC) as tf.Tensor4D;
  const maxOracle =
    (c: Case): Oracle =>
    (x) =>
      tf.transpose(tf.maxPool(tf.pad(nhwc(x), padding(c), -1e9), c.k, c.s, 'valid'), NHWC_TO_NCHW);
  const avgOracle =
    (c: Case): Oracle =>
    (x) => {
      const windowSum = (t: tf.Tensor4D) =>
        tf.mul(tf.avgPool(tf.pad(t, padding(c)), c.k, c.s, 'valid'), c.k * c.k) as tf.Tensor4D;
      const xs = nhwc(x);
      return tf.transpose(tf.div(windowSum(xs), windowSum(tf.onesLike(xs))), NHWC_TO_NCHW);
    };
  cases.forEach((c, i) => {
    for (const [type, oracle] of [
      ['maxpool2d', maxOracle],
      ['avgpool2d', avgOracle],
    ] as const) {
      it(`${type} x=${show(c.x)} k=${c.k} s=${c.s} ceil mode`, () => {
        const graph = chain(
          ['x', 'input', { channels: c.x[1], height: c.x[2], width: c.x[3] }],
          ['pool', type, { size: c.k, stride: c.s, ceil: true }],
        );
        compareLayer(graph, c.x, 250 + i, oracle(c));
      });
    }
  });
});

describe('pooling against tf.maxPool and tf.avgPool', () => {
  type Case = { x: Shape; k: number; s: number; p?: number };
  const cases: Case[] = [
    { x: [2, 1, 6, 6], k: 2, s: 2 },
    { x: [2, 3, 8, 6], k: 2, s: 2 },
    { x: [2, 3, 5, 7], k: 3, s: 1 },
    { x: [2, 1, 7, 9], k: 3, s: 2 },
    { x: [1, 3, 9, 5], k: 3, s: 2 },
    // Padded windows are never counted (the engine's and ONNX's rule, and tfjs's forward rule).
    { x: [2, 3, 6, 6], k: 3, s: 1, p: 1 },
    { x: [2, 1, 7, 7], k: 3, s: 2, p: 1 },
    { x: [2, 2, 4, 4], k: 2, s: 2, p: 1 },
    // Windows that do not tile the input round down, as tfjs's 'valid' does.
    { x: [2, 3, 7, 7], k: 2, s: 2 },
    { x: [2, 1, 8, 9], k: 3, s: 2 },
  ];

  const nhwc = (x: tf.Tensor) => tf.transpose(x, NCHW_TO_NHWC) as tf.Tensor4D;
  const padOf = (p: number) => (p === 0 ? 'valid' : p);
  const maxOracle =
    (c: Case): Oracle =>
    (x) =>
      tf.transpose(tf.maxPool(nhwc(x), c.k, c.s, padOf(c.p ?? 0)), NHWC_TO_NCHW);

  /**
   * tfjs's avg-pool forward skips padded cells but its CPU gradient (AvgPoolGrad) divides by the whole
   * window, so its own gradient is wrong at padded borders. The padded oracle is therefore built from ops
   * whose gradients are exact: window sums of the zero-padded input divided by the count of real cells.
   */
  const avgOracle =
    (c: Case): Oracle =>
    (x) => {
      const p = c.p ?? 0;
      if (p === 0) return tf.transpose(tf.avgPool(nhwc(x), c.k, c.s, 'valid'), NHWC_TO_NCHW);
      const padding: [number, number][] = [
        [0, 0],
        [p, p],
        [p, p],
        [0, 0],
      ];
      const windowSum = (t: tf.Tensor4D) =>
        tf.mul(tf.avgPool(tf.pad(t, padding), c.k, c.s, 'valid'), c.k * c.k) as tf.Tensor4D;
      const xs = nhwc(x);
      return tf.transpose(tf.div(windowSum(xs), windowSum(tf.onesLike(xs))), NHWC_TO_NCHW);
    };

  cases.forEach((c, i) => {
    const p = c.p ?? 0;
    for (const [type, oracle] of [
      ['maxpool2d', maxOracle],
      ['avgpool2d', avgOracle],
    ] as const) {
      it(`${type} x=${show(c.x)} k=${c.k} s=${c.s} p=${p}`, () => {
        const graph = chain(
          ['x', 'input', { channels: c.x[1], height: c.x[2], width: c.x[3] }],
          ['pool', type, { size: c.k, stride: c.s, padding: p }],
        );
        // Continuous random inputs: a tie inside a max window has probability zero.
        compareLayer(graph, c.x, 200 + i, oracle(c));
      });
    }
  });

  it("the padded average oracle agrees with tfjs's own padded avgPool forward", () => {
    const rng = new Rng(7);
    const x = randomUniform(rng, [2, 3, 6, 6]);
    const got = readTf(() => ({
      direct: tf.avgPool(tf.transpose(toTf(x), NCHW_TO_NHWC) as tf.Tensor4D, 3, 1, 1),
      composed: tf.transpose(avgOracle({ x: x.shape, k: 3, s: 1, p: 1 })(toTf(x), []), NCHW_TO_NHWC),
    }));
    expectClose('composed avg pool', tensor(got.composed.shape, got.composed.data), got.direct);
  });
});

describe('dense against tf.matMul', () => {
  type Case = { n: number; inputs: number; units: number; bias: boolean };
  const cases: Case[] = [
    { n: 1, inputs: 1, units: 1, bias: true },
    { n: 4, inputs: 5, units: 3, bias: true },
    { n: 3, inputs: 16, units: 10, bias: false },
    { n: 4, inputs: 64, units: 7, bias: true },
    { n: 2, inputs: 3, units: 12, bias: false },
  ];
  // Engine kernel [units, inputs]; a Keras/tfjs dense kernel is its transpose [inputs, units].
  const oracle =
    (c: Case): Oracle =>
    (x, [w, b]) => {
      const y = tf.matMul(x as tf.Tensor2D, tf.transpose(w) as tf.Tensor2D);
      return c.bias ? tf.add(y, b) : y;
    };

  cases.forEach((c, i) => {
    it(`dense x=[${c.n},${c.inputs}] units=${c.units}${c.bias ? '' : ' no bias'}`, () => {
      const graph = chain(
        ['x', 'input', { channels: c.inputs, height: 1, width: 1, vector: true }],
        ['fc', 'dense', { units: c.units, bias: c.bias }],
      );
      compareLayer(graph, [c.n, c.inputs], 300 + i, oracle(c));
    });
  });
});

/** A loss value as a one-element engine tensor, to compare with a tfjs scalar. */
const scalar = (v: number): Tensor => tensor([], [v]);

describe('losses against tfjs', () => {
  const mseCases: Shape[] = [
    [4, 10],
    [1, 3],
    [8, 1],
    [2, 3, 4, 4],
  ];
  mseCases.forEach((shape, i) => {
    it(`meanSquaredError pred=${show(shape)}: J = Σ(pred − target)²/(2m) and dJ/dpred`, () => {
      const rng = new Rng(400 + i);
      const pred = randomNormal(rng, shape, 2);
      const target = randomUniform(rng, shape, 0, 1);
      const got = meanSquaredError(pred, target);
      const m = shape[0];
      const want = readTf(() => {
        const t = toTf(target);
        const j = (p: tf.Tensor) => tf.div(tf.sum(tf.square(tf.sub(p, t))), 2 * m);
        return { loss: j(toTf(pred)), grad: tf.grad(j)(toTf(pred)) };
      });
      expectClose('loss', scalar(got.loss), want.loss);
      expectClose('gradient', got.grad, want.grad);
    });
  });

  type CeCase = { name: string; logits: (rng: Rng) => Tensor };
  const ceCases: CeCase[] = [
    { name: 'logits=[4,10] N(0,2²)', logits: (rng) => randomNormal(rng, [4, 10], 2) },
    { name: 'logits=[1,3] N(0,1)', logits: (rng) => randomNormal(rng, [1, 3]) },
    {
      // Every entry ±50 plus noise; labels on −50 entries give losses near 100, where a naive log(softmax)
      // would take the log of a probability near e^−100 (0 in float32).
      name: 'logits=[6,5] ±50',
      logits: (rng) => {
        const t = randomNormal(rng, [6, 5], 0.5);
        for (let i = 0; i < t.data.length; i++) t.data[i] += rng.next() < 0.5 ? 50 : -50;
        return t;
      },
    },
    // e^1000 overflows even float64: only a max-shifted log-sum-exp survives this.
    { name: 'logits=[3,4] ±1000', logits: (rng) => randomUniform(rng, [3, 4], -1000, 1000) },
  ];
  ceCases.forEach((c, i) => {
    it(`softmaxCrossEntropy ${c.name}: mean loss and dJ/dlogits`, () => {
      const rng = new Rng(500 + i);
      const logits = c.logits(rng);
      const [m, k] = logits.shape;
      const labels = Int32Array.from({ length: m }, () => rng.int(k));
      const got = softmaxCrossEntropy(logits, labels);
      expect(Number.isFinite(got.loss), `loss ${got.loss}`).toBe(true);
      expect(got.grad.data.every(Number.isFinite), 'gradient has a non-finite value').toBe(true);
      const want = readTf(() => {
        const onehot = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), k), 'float32');
        // Default reduction SUM_BY_NONZERO_WEIGHTS with no weights = mean over the batch.
        const j = (z: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, z);
        return { loss: j(toTf(logits)), grad: tf.grad(j)(toTf(logits)) };
      });
      expectClose('loss', scalar(got.loss), want.loss);
      expectClose('gradient', got.grad, want.grad);
    });
  });
  ceCases.forEach((c, i) => {
    const smoothing = i % 2 === 0 ? 0.1 : 0.3;
    it(`softmaxCrossEntropy ${c.name} with label smoothing ${smoothing}: mean loss and dJ/dlogits`, () => {
      const rng = new Rng(520 + i);
      const logits = c.logits(rng);
      const [m, k] = logits.shape;
      const labels = Int32Array.from({ length: m }, () => rng.int(k));
      const got = softmaxCrossEntropy(logits, labels, smoothing);
      const plain = softmaxCrossEntropy(logits, labels);
      expect(got.loss).not.toBe(plain.loss);
      const want = readTf(() => {
        const onehot = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), k), 'float32');
        // TensorFlow's targets: onehot·(1 − ε) + ε/k, as Convas's.
        const j = (z: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, z, undefined, smoothing);
        return { loss: j(toTf(logits)), grad: tf.grad(j)(toTf(logits)) };
      });
      expectClose('loss', scalar(got.loss), want.loss);
      expectClose('gradient', got.grad, want.grad);
    });
  });
});

describe('the oracle itself', () => {
  it("tells where 'same' puts the odd padding pixel (a top/left split would fail the comparison)", () => {
    // x 6×6, kernel 4, stride 1, 'same': 3 padding pixels per axis, TensorFlow puts 1 before and 2 after.
    const rng = new Rng(600);
    const x = randomUniform(rng, [1, 1, 6, 6]);
    const net = new Network(
      chain(
        ['x', 'input', { channels: 1, height: 6, width: 6 }],
        ['conv', 'conv2d', { filters: 2, kernelH: 4, kernelW: 4, stride: 1, padding: 'same', bias: false }],
      ),
    );
    net.setWeights({ 'conv.kernel': randomNormal(rng, [2, 1, 4, 4]) });
    const y = net.predict(x);
    const run = (before: number, after: number): TfValues =>
      readTf(() => ({
        y: tf.transpose(
          tf.conv2d(
            tf.transpose(toTf(x), NCHW_TO_NHWC) as tf.Tensor4D,
            tf.transpose(toTf(net.getWeights()['conv.kernel']), OIHW_TO_HWIO) as tf.Tensor4D,
            1,
            [
              [0, 0],
              [before, after],
              [before, after],
              [0, 0],
            ],
          ),
          NHWC_TO_NCHW,
        ),
      })).y;
    expect(worstError(y.data, run(1, 2).data).error).toBeLessThanOrEqual(TOLERANCE);
    expect(worstError(y.data, run(2, 1).data).error).toBeGreaterThan(100 * TOLERANCE);
  });
});
