import { describe, expect, it } from 'vitest';
import {
  listLayers,
  meanSquaredError,
  resolveParams,
  Rng,
  softmaxCrossEntropy,
  tensor,
  type Tensor,
} from '../../src/engine';
import { initWeight } from '../../src/engine/init';
import type { LayerDef } from '../../src/engine/layers/types';

/**
 * Central-difference gradient check for every layer in the registry. The loss is L = Σ r·y for a fixed random r,
 * so dL/dy = r is fed to backward and compared with (L(x + h) − L(x − h)) / 2h, accumulated in float64.
 * A layer added to the registry without a case here fails the first test. Each case also runs once with a
 * recycling allocator (as a training network's workspace), which must not change a single bit.
 */

interface Case {
  name: string;
  params?: Record<string, number | boolean | string>;
  /** Per-example input shapes (batch 2 is added). */
  inputs: number[][];
  training?: boolean;
  /**
   * How inputs are drawn; 'spaced' keeps values apart so max-pool winners do not swap under ±h; 'wide' spreads
   * them from about −12 to 12, none within ±h of 0 or 6 (ReLU6's kinks).
   */
  draw?: 'normal' | 'awayFromZero' | 'spaced' | 'wide';
}

const cases: Record<string, Case[]> = {
  input: [{ name: 'image passes through', params: { channels: 2, height: 3, width: 3 }, inputs: [[2, 3, 3]] }],
  conv2d: [
    { name: 'x=[3,5,5] f=[4,3,3,3] s=1 p=1', params: { filters: 4, padding: 1 }, inputs: [[3, 5, 5]] },
    { name: 'x=[2,7,7] f=[3,2,3,3] s=2 p=0', params: { filters: 3, stride: 2 }, inputs: [[2, 7, 7]] },
    {
      name: "x=[1,6,6] f=[2,1,3,2] s=2 p='same' no bias",
      params: { filters: 2, kernelW: 2, stride: 2, padding: 'same', bias: false },
      inputs: [[1, 6, 6]],
    },
    {
      name: 'x=[2,8,8] s=2 p=1, floored (a row dropped)',
      params: { filters: 3, stride: 2, padding: 1 },
      inputs: [[2, 8, 8]],
    },
    { name: 'x=[4,5,5] f=[6,2,3,3] groups 2', params: { filters: 6, groups: 2, padding: 1 }, inputs: [[4, 5, 5]] },
    {
      name: 'x=[3,7,7] depthwise (groups 3, 2 per channel) s=2 p=1',
      params: { filters: 6, groups: 3, stride: 2, padding: 1 },
      inputs: [[3, 7, 7]],
    },
  ],
  maxpool2d: [
    { name: 'x=[2,4,4] 2×2 s2', inputs: [[2, 4, 4]], draw: 'spaced' },
    { name: 'x=[1,5,5] 3×3 s2 p1', params: { size: 3, stride: 2, padding: 1 }, inputs: [[1, 5, 5]], draw: 'spaced' },
    { name: 'x=[2,7,7] 2×2 s2 floored to 3×3', inputs: [[2, 7, 7]], draw: 'spaced' },
    { name: 'x=[2,7,7] 2×2 s2 ceil mode, 4×4', params: { ceil: true }, inputs: [[2, 7, 7]], draw: 'spaced' },
  ],
  avgpool2d: [
    { name: 'x=[2,4,4] 2×2 s2', inputs: [[2, 4, 4]] },
    {
      name: 'x=[1,5,5] 3×3 s2 p1 (padding not counted)',
      params: { size: 3, stride: 2, padding: 1 },
      inputs: [[1, 5, 5]],
    },
    { name: 'x=[2,7,7] 2×2 s2 floored to 3×3', inputs: [[2, 7, 7]] },
    { name: 'x=[2,8,8] 3×3 s2 ceil mode, partial last windows', params: { size: 3, ceil: true }, inputs: [[2, 8, 8]] },
  ],
  globalavgpool: [{ name: 'x=[3,4,5]', inputs: [[3, 4, 5]] }],
  globalmaxpool: [{ name: 'x=[3,4,5]', inputs: [[3, 4, 5]], draw: 'spaced' }],
  flatten: [{ name: 'x=[2,3,3]', inputs: [[2, 3, 3]] }],
  dense: [
    { name: 'x=[7] units=5', params: { units: 5 }, inputs: [[7]] },
    { name: 'x=[4] units=3 no bias', params: { units: 3, bias: false }, inputs: [[4]] },
  ],
  sigmoid: [{ name: 'x=[6]', inputs: [[6]] }],
  tanh: [{ name: 'x=[2,3,3]', inputs: [[2, 3, 3]] }],
  relu: [{ name: 'x=[8] away from the kink', inputs: [[8]], draw: 'awayFromZero' }],
  relu6: [{ name: 'x=[2,4,4] on both sides of 0 and 6', inputs: [[2, 4, 4]], draw: 'wide' }],
  leaky_relu: [{ name: 'x=[8] slope 0.1', params: { slope: 0.1 }, inputs: [[8]], draw: 'awayFromZero' }],
  softmax: [{ name: 'x=[5]', inputs: [[5]] }],
  dropout: [
    { name: 'rate 0.3 training (fixed mask)', params: { rate: 0.3 }, inputs: [[10]], training: true },
    { name: 'inference is the identity', params: { rate: 0.3 }, inputs: [[10]], training: false },
  ],
  batchnorm: [
    { name: 'x=[3,2,2] training (batch statistics)', inputs: [[3, 2, 2]], training: true },
    { name: 'x=[4] inference (running statistics)', inputs: [[4]], training: false },
  ],
  add: [
    {
      name: 'two [2,3,3] inputs',
      inputs: [
        [2, 3, 3],
        [2, 3, 3],
      ],
    },
  ],
  concat: [
    {
      name: '[2,3,3] and [1,3,3]',
      inputs: [
        [2, 3, 3],
        [1, 3, 3],
      ],
    },
  ],
};

const BATCH = 2;
const H = 1e-2;

function draw(shape: number[], how: Case['draw'], rng: Rng): Tensor {
  const t = tensor(shape);
  if (how === 'wide') {
    const idx = Array.from({ length: t.data.length }, (_, i) => i);
    rng.shuffle(idx);
    idx.forEach((v, i) => (t.data[i] = (v - idx.length / 2) * 0.37 + 0.05));
  } else if (how === 'spaced') {
    // A shuffled ladder of values 0.1 apart: every max-pool window has a clear winner.
    const idx = Array.from({ length: t.data.length }, (_, i) => i);
    rng.shuffle(idx);
    idx.forEach((v, i) => (t.data[i] = (v - idx.length / 2) * 0.1));
  } else {
    for (let i = 0; i < t.data.length; i++) {
      const v = rng.normal();
      t.data[i] = how === 'awayFromZero' ? Math.sign(v || 1) * (0.2 + Math.abs(v)) : v;
    }
  }
  return t;
}

function check(def: LayerDef, c: Case) {
  const rng = new Rng(42);
  const params = resolveParams(def, c.params ?? {});
  const shapes = c.inputs;
  const outShape = def.inferShape(shapes, params);
  const inputs = shapes.map((s) => draw([BATCH, ...s], c.draw, rng));
  const weights = (def.weights?.(shapes, params) ?? []).map((spec) => {
    const w = initWeight({ ...spec, init: spec.init === 'zeros' || spec.init === 'ones' ? 'glorot' : spec.init }, rng);
    // Running variances must stay positive.
    if (spec.name === 'runningVar') for (let i = 0; i < w.data.length; i++) w.data[i] = 0.5 + Math.abs(w.data[i]);
    return w;
  });
  const training = c.training ?? true;
  const r = draw([BATCH, ...outShape], 'normal', rng);
  // A fresh generator with one seed per forward keeps dropout's mask fixed across the perturbed runs.
  const run = () => def.forward({ params, inputs, weights, training, rng: new Rng(7) });
  const loss = () => {
    const y = run().output.data;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * r.data[i];
    return s;
  };
  /** Forward, then backward of r, optionally through an allocator as a training network's workspace offers one. */
  const pass = (alloc?: (shape: number[], zeroed?: boolean) => Tensor) => {
    const fwd = def.forward({ params, inputs, weights, training, rng: new Rng(7), alloc });
    const weightGrads = weights.map((w) => tensor(w.shape));
    const inputGrads = def.backward({
      params,
      inputs,
      weights,
      training,
      rng: new Rng(7),
      output: fwd.output,
      cache: fwd.cache,
      gradOutput: r,
      weightGrads,
      alloc,
    });
    return { fwd, weightGrads, inputGrads };
  };
  const { fwd, weightGrads, inputGrads } = pass();
  expect(fwd.output.shape).toEqual([BATCH, ...outShape]);

  // The same calls with a recycling network's allocator whose buffers hold NaN unless zeroed: a layer that asks
  // for an overwritten array and then reads or adds into it gets a NaN, or a result off by the stale values.
  const staleAlloc = (shape: number[], zeroed = true) => {
    const t = tensor(shape);
    if (!zeroed) t.data.fill(NaN);
    return t;
  };
  const { fwd: again, weightGrads: againWeightGrads, inputGrads: againInputGrads } = pass(staleAlloc);
  expect(Array.from(again.output.data)).toEqual(Array.from(fwd.output.data));
  expect(againInputGrads.map((g) => g && Array.from(g.data))).toEqual(inputGrads.map((g) => g && Array.from(g.data)));
  expect(againWeightGrads.map((g) => Array.from(g.data))).toEqual(weightGrads.map((g) => Array.from(g.data)));

  const numeric = (t: Tensor, i: number) => {
    const old = t.data[i];
    t.data[i] = old + H;
    const up = loss();
    t.data[i] = old - H;
    const down = loss();
    t.data[i] = old;
    return (up - down) / (2 * H);
  };
  let checked = 0;
  const compare = (t: Tensor, analytic: Tensor, what: string) => {
    for (let i = 0; i < t.data.length; i++) {
      const n = numeric(t, i);
      const a = analytic.data[i];
      const tol = 5e-3 * Math.max(1, Math.abs(n), Math.abs(a));
      if (Math.abs(n - a) > tol) throw new Error(`${what}[${i}]: analytic ${a}, numeric ${n}`);
      checked++;
    }
  };
  if (def.arity[1] === 0) {
    // The input layer starts the graph: nothing flows back, and it passes data through unchanged.
    expect(inputGrads).toEqual([]);
    expect(Array.from(fwd.output.data)).toEqual(Array.from(inputs[0].data));
    return;
  }
  expect(inputGrads).toHaveLength(inputs.length);
  inputs.forEach((x, k) => compare(x, inputGrads[k]!, `d input ${k}`));
  weights.forEach((w, k) => {
    const spec = def.weights!(shapes, params)[k];
    // Running statistics are not trained: their gradient is not computed.
    if (spec.trainable) compare(w, weightGrads[k], `d ${spec.name}`);
  });
  expect(checked).toBeGreaterThan(0);
}

describe('numeric gradient check of every registered layer', () => {
  it('every layer in the registry has at least one case', () => {
    const missing = listLayers()
      .map((d) => d.type)
      .filter((t) => !cases[t]?.length);
    expect(missing).toEqual([]);
  });

  for (const def of listLayers()) {
    for (const c of cases[def.type] ?? []) {
      it(`${def.type}: ${c.name}`, () => check(def, c));
    }
  }
});

describe('numeric gradient check of the losses', () => {
  const numericGrad = (f: (t: Tensor) => number, x: Tensor) =>
    Array.from(x.data, (_, i) => {
      const old = x.data[i];
      x.data[i] = old + H;
      const up = f(x);
      x.data[i] = old - H;
      const down = f(x);
      x.data[i] = old;
      return (up - down) / (2 * H);
    });

  it('mean squared error 1/(2m)·Σ(f − y)²', () => {
    const rng = new Rng(3);
    const pred = draw([4, 3], 'normal', rng);
    const target = draw([4, 3], 'normal', rng);
    const { grad } = meanSquaredError(pred, target);
    const num = numericGrad((p) => meanSquaredError(p, target).loss, pred);
    num.forEach((n, i) => expect(grad.data[i]).toBeCloseTo(n, 3));
  });

  it('softmax cross-entropy, including scores of ±60', () => {
    const rng = new Rng(4);
    const logits = draw([3, 5], 'normal', rng);
    logits.data[0] = 60;
    logits.data[7] = -60;
    const labels = Int32Array.from([2, 0, 4]);
    const { loss, grad } = softmaxCrossEntropy(logits, labels);
    expect(Number.isFinite(loss)).toBe(true);
    const num = numericGrad((z) => softmaxCrossEntropy(z, labels).loss, logits);
    num.forEach((n, i) => expect(grad.data[i]).toBeCloseTo(n, 3));
  });

  it('softmax cross-entropy with label smoothing 0.2, including scores of ±60', () => {
    const rng = new Rng(5);
    const logits = draw([3, 5], 'normal', rng);
    logits.data[0] = 60;
    logits.data[7] = -60;
    const labels = Int32Array.from([2, 0, 4]);
    const { loss, grad } = softmaxCrossEntropy(logits, labels, 0.2);
    expect(Number.isFinite(loss)).toBe(true);
    const num = numericGrad((z) => softmaxCrossEntropy(z, labels, 0.2).loss, logits);
    num.forEach((n, i) => expect(grad.data[i]).toBeCloseTo(n, 3));
    // Each row's gradient still sums to 0 (the targets sum to 1), and ε = 0 is the plain loss to the bit.
    for (let r = 0; r < 3; r++) expect(grad.data.slice(r * 5, r * 5 + 5).reduce((a, b) => a + b)).toBeCloseTo(0, 7);
    expect(softmaxCrossEntropy(logits, labels, 0)).toEqual(softmaxCrossEntropy(logits, labels));
    expect(() => softmaxCrossEntropy(logits, labels, 1)).toThrow(/label smoothing 1 is outside/);
  });
});
