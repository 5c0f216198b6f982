import { describe, expect, it } from 'vitest';
import { computeLoss, evaluate, Network, probabilitiesOf, Rng, tensor, Trainer, type Examples } from '../../src/engine';
import { dag, chain } from '../helpers/graphs';
import { loadFashion } from '../helpers/fashion';

/** A residual block joined by Add, plus a Concat of two branches: gradients must sum where a node feeds several. */
const residual = () =>
  dag(
    [
      ['x', 'input', { channels: 2, height: 6, width: 6 }],
      ['c1', 'conv2d', { filters: 3, padding: 'same', init: 'glorot' }],
      ['t1', 'tanh'],
      ['c2', 'conv2d', { filters: 3, padding: 'same', init: 'glorot' }],
      ['sum', 'add'],
      ['t2', 'tanh'],
      ['cat', 'concat'],
      ['pool', 'avgpool2d'],
      ['bn', 'batchnorm'],
      ['f', 'flatten'],
      ['d', 'dense', { units: 4, init: 'glorot' }],
      ['p', 'softmax'],
    ],
    [
      ['x', 'c1'],
      ['c1', 't1'],
      ['t1', 'c2'],
      ['c2', 'sum', 0],
      ['t1', 'sum', 1],
      ['sum', 't2'],
      ['t2', 'cat', 0],
      ['t1', 'cat', 1],
      ['cat', 'pool'],
      ['pool', 'bn'],
      ['bn', 'f'],
      ['f', 'd'],
      ['d', 'p'],
    ],
  );

function randomBatch(n: number, rng: Rng): Examples {
  const x = tensor([n, 2, 6, 6]);
  for (let i = 0; i < x.data.length; i++) x.data[i] = rng.normal();
  return { x, labels: Int32Array.from({ length: n }, () => rng.int(4)) };
}

describe('the network as a whole', () => {
  it('back-propagation through forks and joins matches central differences', () => {
    const net = new Network(residual(), 3);
    const batch = randomBatch(3, new Rng(9));
    const lossOf = () => {
      const trace = net.forward(batch.x, { training: true });
      return computeLoss(net, trace, batch, 'cross_entropy');
    };
    const trace = net.forward(batch.x, { training: true });
    const { grad, from } = computeLoss(net, trace, batch, 'cross_entropy');
    net.zeroGrads();
    const dx = net.backward(trace, grad, from)!;
    const h = 1e-2;
    const rng = new Rng(1);
    const probe = (data: Float32Array, i: number) => {
      const old = data[i];
      data[i] = old + h;
      const up = lossOf().loss;
      data[i] = old - h;
      const down = lossOf().loss;
      data[i] = old;
      return (up - down) / (2 * h);
    };
    let checked = 0;
    for (const p of net.params.filter((q) => q.trainable)) {
      for (let k = 0; k < 4; k++) {
        const i = rng.int(p.value.data.length);
        expect(p.grad.data[i], `${p.name}[${i}]`).toBeCloseTo(probe(p.value.data, i), 3);
        checked++;
      }
    }
    for (let k = 0; k < 10; k++) {
      const i = rng.int(batch.x.data.length);
      expect(dx.data[i], `input[${i}]`).toBeCloseTo(probe(batch.x.data, i), 3);
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('the same seed gives identical weights and losses; another seed does not', () => {
    const runOnce = (seed: number) => {
      const net = new Network(residual(), seed);
      const trainer = new Trainer(net, { kind: 'momentum', learningRate: 0.05, momentum: 0.9 }, 'cross_entropy', seed);
      const data = randomBatch(40, new Rng(2));
      const losses = [trainer.epoch(data, 8), trainer.epoch(data, 8)];
      return { losses, w: Array.from(net.getWeights()['d.kernel'].data) };
    };
    const a = runOnce(11);
    const b = runOnce(11);
    const c = runOnce(12);
    expect(b).toEqual(a);
    expect(c.w).not.toEqual(a.w);
  });

  it('a residual network trains on real images', () => {
    const train = loadFashion('train', 60);
    const net = new Network(
      dag(
        [
          ['x', 'input', { channels: 1, height: 28, width: 28 }],
          ['c1', 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, stride: 2, padding: 'same' }],
          ['r1', 'relu'],
          ['c2', 'conv2d', { filters: 4, padding: 'same' }],
          ['sum', 'add'],
          ['r2', 'relu'],
          ['pool', 'maxpool2d'],
          ['f', 'flatten'],
          ['d', 'dense', { units: 10, init: 'glorot' }],
        ],
        [
          ['x', 'c1'],
          ['c1', 'r1'],
          ['r1', 'c2'],
          ['c2', 'sum', 0],
          ['r1', 'sum', 1],
          ['sum', 'r2'],
          ['r2', 'pool'],
          ['pool', 'f'],
          ['f', 'd'],
        ],
      ),
      4,
    );
    const trainer = new Trainer(net, { kind: 'adam', learningRate: 0.005 }, 'cross_entropy', 4);
    const before = evaluate(net, train);
    for (let e = 0; e < 4; e++) trainer.epoch(train, 20);
    const after = evaluate(net, train);
    expect(after.loss).toBeLessThan(before.loss * 0.6);
    expect(after.accuracy).toBeGreaterThan(0.6);
  });

  it('predict gives class probabilities and activations give per-channel maps', () => {
    const net = new Network(residual(), 5);
    const x = randomBatch(70, new Rng(3)).x;
    const probs = net.predict(x, 32);
    expect(probs.shape).toEqual([70, 4]);
    for (let i = 0; i < 70; i++) {
      const row = probs.data.subarray(i * 4, i * 4 + 4);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    const maps = net.activations(x, 'c1');
    expect(maps.shape).toEqual([70, 3, 6, 6]);
    // Batched inference equals one big batch (inference mode: running batch-norm statistics).
    expect(Array.from(net.predict(x, 7).data)).toEqual(Array.from(probs.data));
    expect(() => net.activations(x, 'nope')).toThrow(/no node 'nope'/);
  });

  it('weights load by name and refuse a wrong shape or a missing tensor', () => {
    const net = new Network(
      chain(['x', 'input', { channels: 1, height: 1, width: 3, vector: true }], ['d', 'dense', { units: 2 }]),
    );
    expect(() => net.setWeights({ 'd.kernel': tensor([3, 2]), 'd.bias': tensor([2]) })).toThrow(
      /'d\.kernel' has shape \[3×2\], the network needs \[2×3\]/,
    );
    expect(() => net.setWeights({ 'd.kernel': tensor([2, 3]) })).toThrow(/missing 'd\.bias'/);
    expect(net.parameterCount()).toBe(8);
  });

  it('class probabilities: a Softmax output as it is, raw scores through softmax even when they look like probabilities', () => {
    const vec = ['x', 'input', { channels: 1, height: 1, width: 2, vector: true }] as const;
    const scores = new Network(chain([...vec], ['d', 'dense', { units: 2 }]));
    // Non-negative scores that happen to sum to 1 are still scores: softmax([0.25, 0.75]) = [0.3775, 0.6225].
    const p = probabilitiesOf(scores.graph, tensor([1, 2], [0.25, 0.75]));
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(0.5)), 6);
    expect(p[0] + p[1]).toBeCloseTo(1, 6);
    const probs = new Network(chain([...vec], ['d', 'dense', { units: 2 }], ['s', 'softmax']));
    expect(Array.from(probabilitiesOf(probs.graph, tensor([1, 2], [0.25, 0.75])))).toEqual([0.25, 0.75]);
  });
});
