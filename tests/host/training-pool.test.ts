import { afterAll, describe, expect, it } from 'vitest';
import { evaluate, Network, Rng, tensor, Trainer } from '../../src/engine';
import type { TrainingSession } from '../../src/host/session';
import { sharedByteTensor, TrainingPool, type Inputs, type PoolOptions } from '../../src/host/training';
import type { Graph } from '../../src/shared/graph';
import type { Hyperparameters } from '../../src/shared/training';
import { examples, flat } from '../helpers/examples';
import { chain } from '../helpers/graphs';
import { classNames, poolPlan, tensorSession, trainingPlan } from '../helpers/plan';

/**
 * The data-parallel pool computes what the in-process engine computes: exactly with one thread, up to float
 * rounding with several; the same seed and thread count give identical weights. Workers run from the
 * TypeScript source here (src/host/training/spawn.ts explains how).
 */

const graph = chain(
  ['x', 'input', { channels: 1, height: 8, width: 8 }],
  ['c', 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, padding: 1 }],
  ['r', 'relu'],
  ['p', 'maxpool2d'],
  ['f', 'flatten'],
  ['d', 'dense', { units: 3, init: 'glorot' }],
  ['s', 'softmax'],
);

const HYPER: Partial<Hyperparameters> = { seed: 3, optimizer: 'momentum', learningRate: 0.05 };

const open: { close(): Promise<void> }[] = [];
async function pool(
  options: PoolOptions & { threads: number; graph?: Graph; hyper?: Partial<Hyperparameters> },
): Promise<TrainingPool> {
  const { graph: g = graph, hyper, ...rest } = options;
  const p = await TrainingPool.create(poolPlan(g, { ...HYPER, ...hyper }), rest);
  open.push(p);
  return p;
}
afterAll(() => Promise.all(open.map((p) => p.close())));

/** Examples [from, to) of a set, as views (float or 8-bit inputs alike). */
function rows(x: Inputs, labels: Int32Array, from: number, to: number): [Inputs, Int32Array] {
  const per = x.data.length / x.shape[0];
  const shape = [to - from, ...x.shape.slice(1)];
  const view = x.data.subarray(from * per, to * per);
  return [view instanceof Float32Array ? tensor(shape, view) : { shape, data: view }, labels.subarray(from, to)];
}

/** One pass of pool.step over the examples in order, in batches of `batch`; the steps' losses. */
async function pass(p: TrainingPool, x: Inputs, labels: Int32Array, batch: number): Promise<number[]> {
  const losses: number[] = [];
  for (let s = 0; s < labels.length; s += batch) {
    losses.push(await p.step(...rows(x, labels, s, Math.min(labels.length, s + batch))));
  }
  return losses;
}

const data = examples(60, 9);

describe('TrainingPool', () => {
  it('with one thread, driven by a session, trains exactly as the engine’s Trainer does', async () => {
    // The session shuffles each epoch with its own Rng(seed), as the Trainer does with its generator (which
    // nothing else draws from in a network without dropout): the same batches, in the same order.
    const s: TrainingSession = await tensorSession(
      trainingPlan(graph, { ...HYPER, epochs: 2, batchSize: 8 }),
      { train: data, validation: examples(12, 10), classes: classNames(3) },
      { threads: 1, kernels: 'reference' },
    );
    open.push(s);
    expect(await s.run()).toEqual({ status: 'finished', epochs: 2 });
    const losses = s.epochHistory.map((e) => e.loss);

    const net = new Network(graph, 3);
    const trainer = new Trainer(net, { kind: 'momentum', learningRate: 0.05 }, 'cross_entropy', 3);
    const want = [trainer.epoch(data, 8), trainer.epoch(data, 8)];

    expect(losses).toEqual(want);
    expect(s.pool.globalStep).toBe(16);
    expect(flat(await s.pool.getWeights())).toEqual(flat(net.getWeights()));
  });

  it('with one thread steps exactly as the engine’s Trainer does, batch by batch', async () => {
    const s = await pool({ threads: 1, kernels: 'reference' });
    const net = new Network(graph, 3);
    const trainer = new Trainer(net, { kind: 'momentum', learningRate: 0.05 }, 'cross_entropy', 3);
    const got = [...(await pass(s, data.x, data.labels, 8)), ...(await pass(s, data.x, data.labels, 8))];
    const want: number[] = [];
    for (let e = 0; e < 2; e++) {
      for (let i = 0; i < 60; i += 8) {
        const to = Math.min(60, i + 8);
        const x = tensor([to - i, 1, 8, 8], data.x.data.subarray(i * 64, to * 64));
        want.push(trainer.step({ x, labels: data.labels.subarray(i, to) }));
      }
    }
    expect(got).toEqual(want);
    expect(flat(await s.getWeights())).toEqual(flat(net.getWeights()));
  });

  it('gives identical weights for the same seed and thread count, and different ones for another seed', async () => {
    const run = async (seed: number) => {
      const s = await pool({ threads: 2, hyper: { seed } });
      for (let e = 0; e < 2; e++) await pass(s, data.x, data.labels, 7);
      await s.step(data.x, data.labels);
      return flat(await s.getWeights());
    };
    const [a, b, c] = await Promise.all([run(21), run(21), run(22)]);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(a.every(Number.isFinite)).toBe(true);
  });

  it('with two threads matches one thread up to float rounding (the shard gradients add up to the batch’s)', async () => {
    const [one, two] = await Promise.all([
      pool({ threads: 1, kernels: 'reference' }),
      pool({ threads: 2, kernels: 'reference' }),
    ]);
    // Batches of 7 split 4 + 3 across two threads, and the last batch of the pass holds 4.
    const [l1, l2] = await Promise.all([pass(one, data.x, data.labels, 7), pass(two, data.x, data.labels, 7)]);
    expect(two.globalStep).toBe(9);
    expect(l2).toHaveLength(9);
    l2.forEach((l, i) => expect(l).toBeCloseTo(l1[i], 6));
    const [w1, w2] = [flat(await one.getWeights()), flat(await two.getWeights())];
    expect(w1.length).toBe(w2.length);
    let worst = 0;
    w1.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - w2[i]))));
    expect(worst).toBeLessThan(1e-5);
    expect([one.threads, two.threads]).toEqual([1, 2]);
  });

  it('predicts, evaluates and shows activations as the in-process network does', async () => {
    const s = await pool({ threads: 2, kernels: 'reference' });
    await pass(s, data.x, data.labels, 10);
    const net = new Network(graph, 1);
    net.setWeights(await s.getWeights());

    const probs = await s.predict(data.x, 16);
    expect(probs.shape).toEqual([60, 3]);
    expect(Array.from(probs.data)).toEqual(Array.from(net.predict(data.x, 16).data));

    const maps = await s.activations(examples(3, 4).x, 'c');
    expect(maps.shape).toEqual([3, 4, 8, 8]);
    expect(Array.from(maps.data)).toEqual(Array.from(net.activations(examples(3, 4).x, 'c').data));

    const got = await s.evaluate(data.x, data.labels, 16);
    const want = evaluate(net, data);
    expect(got.confusion).toEqual(want.confusion);
    expect(got.accuracy).toBe(want.accuracy);
    expect(got.loss).toBeCloseTo(want.loss, 10);
  });

  it('trains on 8-bit images as on the same images divided by 255', async () => {
    const rng = new Rng(8);
    const bytes = sharedByteTensor([40, 1, 8, 8]);
    for (let i = 0; i < bytes.data.length; i++) bytes.data[i] = rng.int(256);
    const floats = tensor(
      bytes.shape,
      Float32Array.from(bytes.data, (v) => v / 255),
    );
    const labels = Int32Array.from({ length: 40 }, () => rng.int(3));
    const [a, b] = await Promise.all([pool({ threads: 2 }), pool({ threads: 2 })]);
    await Promise.all([pass(a, bytes, labels, 6), pass(b, floats, labels, 6)]);
    await Promise.all([a.step(bytes, labels), b.step(floats, labels)]);
    expect(flat(await a.getWeights())).toEqual(flat(await b.getWeights()));
    expect(Array.from((await a.predict(bytes)).data)).toEqual(Array.from((await b.predict(floats)).data));
    expect(await a.evaluate(bytes, labels)).toEqual(await b.evaluate(floats, labels));
    expect(Array.from((await a.activations(bytes, 'c')).data)).toEqual(
      Array.from((await b.activations(floats, 'c')).data),
    );
  });

  it('loads weights by name and refuses a wrong shape or a missing tensor, naming it', async () => {
    const s = await pool({ threads: 2 });
    const w = await s.getWeights();
    w['d.bias'] = tensor([3], [1, 2, 3]);
    await s.setWeights(w);
    expect(Array.from((await s.getWeights())['d.bias'].data)).toEqual([1, 2, 3]);

    await expect(s.setWeights({ ...w, 'c.kernel': tensor([4, 1, 2, 2]) })).rejects.toThrow(
      /weight 'c\.kernel' has shape \[4×1×2×2\], the network needs \[4×1×3×3\]/,
    );
    const { 'd.kernel': _dropped, ...missing } = w;
    await expect(s.setWeights(missing)).rejects.toThrow(/missing 'd\.kernel'/);
  });

  it('hands its optimizer state to another session, which then continues exactly as it would have', async () => {
    const [a, b] = await Promise.all([pool({ threads: 2 }), pool({ threads: 2 })]);
    await pass(a, data.x, data.labels, 8);
    // b starts from a's weights and momentum; then both take the same steps.
    await b.setWeights(await a.getWeights());
    const state = await a.getOptimizerState();
    expect(Object.keys(state.slots).sort()).toEqual(['c.bias', 'c.kernel', 'd.bias', 'd.kernel']);
    expect(state.slots['d.kernel'][0].length).toBe(3 * 64);
    await b.setOptimizerState(state);
    for (const s of [a, b]) for (let i = 0; i < 3; i++) await s.step(data.x, data.labels);
    expect(flat(await b.getWeights())).toEqual(flat(await a.getWeights()));
  });

  it('normalises each shard with its own batch statistics and keeps rank 0’s running statistics', async () => {
    const bnGraph = chain(
      ['x', 'input', { channels: 1, height: 8, width: 8 }],
      ['c', 'conv2d', { filters: 2, kernelH: 3, kernelW: 3 }],
      ['bn', 'batchnorm'],
      ['r', 'relu'],
      ['f', 'flatten'],
      ['d', 'dense', { units: 3 }],
    );
    const s = await pool({
      graph: bnGraph,
      threads: 2,
      kernels: 'reference',
      hyper: { optimizer: 'sgd', learningRate: 0.1 },
    });
    const batch = examples(8, 5);
    await s.step(batch.x, batch.labels);
    // Rank 0 trained on examples 0–3: its forward pass alone sets the running statistics.
    const net = new Network(bnGraph, 3);
    net.forward(tensor([4, 1, 8, 8], batch.x.data.slice(0, 4 * 64)), { training: true });
    const w = await s.getWeights();
    expect(Array.from(w['bn.runningMean'].data)).toEqual(Array.from(net.getWeights()['bn.runningMean'].data));
    expect(Array.from(w['bn.runningVar'].data)).toEqual(Array.from(net.getWeights()['bn.runningVar'].data));
  });
});
