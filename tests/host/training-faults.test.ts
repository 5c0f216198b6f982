import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphError, Rng, tensor, type NamedWeights, type Tensor } from '../../src/engine';
import { DivergedError, TrainingError, TrainingPool } from '../../src/host/training';
import { chain } from '../helpers/graphs';

/** What goes wrong in a training worker reaches the caller, and the session survives what it can. */

const graph = chain(
  ['x', 'input', { channels: 1, height: 8, width: 8 }],
  ['c', 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, padding: 1 }],
  ['r', 'relu'],
  ['p', 'maxpool2d'],
  ['f', 'flatten'],
  ['d', 'dense', { units: 3, init: 'glorot' }],
);

function examples(n: number, seed: number): { x: Tensor; labels: Int32Array } {
  const rng = new Rng(seed);
  const x = tensor([n, 1, 8, 8]);
  for (let i = 0; i < x.data.length; i++) x.data[i] = rng.normal();
  return { x, labels: Int32Array.from({ length: n }, () => rng.int(3)) };
}

const flat = (w: NamedWeights) => Object.keys(w).flatMap((k) => Array.from(w[k].data));

const open: TrainingPool[] = [];
async function pool(learningRate = 0.05): Promise<TrainingPool> {
  const p = await TrainingPool.create({ graph, seed: 4, threads: 2, optimizer: { kind: 'sgd', learningRate } });
  open.push(p);
  return p;
}
afterAll(() => Promise.all(open.map((p) => p.close())));

const data = examples(64, 6);

describe('faults in training', () => {
  it('stops on a diverging loss, names the step and keeps the last finite weights', async () => {
    const s = await pool(1e9);
    const steps: number[] = [];
    const error = await s.runEpoch(data.x, data.labels, 4, { onProgress: (p) => steps.push(p.globalStep) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DivergedError);
    const d = error as DivergedError;
    // The refused step is the one after the last reported one; nothing after it ran.
    expect(d.step).toBe(steps.length + 1);
    expect(d.stepInEpoch).toBe(d.step);
    expect(d.stepsInEpoch).toBe(16);
    expect(d.message).toMatch(
      new RegExp(`training diverged at step ${d.step} \\(batch ${d.step} of 16 in this epoch\\)`),
    );
    expect(d.message).toMatch(/lower the learning rate/);
    const kept = flat(await s.getWeights());
    expect(kept.every(Number.isFinite)).toBe(true);
    expect(s.state).toBe('idle');
    // The kept weights are those after the last good step: with SGD at this rate, one more step would not be finite.
    await expect(s.step(data.x, data.labels)).rejects.toBeInstanceOf(DivergedError);
    expect(flat(await s.getWeights())).toEqual(kept);
  });

  it('refuses a step whose update would make weights infinite: every worker puts its slice back', async () => {
    const s = await pool(1e36);
    const initial = flat(await s.getWeights());
    // Large inputs give gradients in the thousands: a finite loss and gradient, but lr × gradient overflows.
    const loud = tensor(
      data.x.shape,
      data.x.data.map((v) => v * 1000),
    );
    const error = await s.runEpoch(loud, data.labels, 8).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DivergedError);
    expect(error).toMatchObject({ step: 1, part: 'weights' });
    expect(Number.isFinite((error as DivergedError).loss)).toBe(true);
    expect((error as Error).message).toMatch(
      /at step 1 .*: the loss is [0-9.]+ but the update made some weights infinite/,
    );
    expect(flat(await s.getWeights())).toEqual(initial);
  });

  it('passes an error thrown in a worker to the caller with its message, and keeps working', async () => {
    const s = await pool();
    const before = flat(await s.getWeights());
    const bad = Int32Array.from(data.labels);
    bad[40] = 7; // in the second half of the batch: rank 1's shard
    const error = await s.step(data.x, bad).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TrainingError);
    expect((error as Error).message).toBe('cross-entropy: label 7 is outside 0..2');
    // Rank 0 gave up waiting at the barrier; the step did not change the weights.
    expect(flat(await s.getWeights())).toEqual(before);
    const loss = await s.step(data.x, data.labels);
    expect(Number.isFinite(loss)).toBe(true);
    expect(flat(await s.getWeights())).not.toEqual(before);
  });

  it('reports a worker that dies mid-epoch, and refuses to go on with a broken pool', async () => {
    const s = await pool();
    const big = examples(4000, 2);
    const run = s.runEpoch(big.x, big.labels, 2, {
      // What an out-of-memory crash or a kill looks like from the host: the thread ends.
      onProgress: (p) => p.globalStep === 5 && void (s as unknown as { workers: Worker[] }).workers[1].terminate(),
    });
    await expect(run).rejects.toThrow(/training worker 1 died: it exited with code 1/);
    await expect(s.getWeights()).rejects.toThrow(/the training session cannot continue: training worker 1 died/);
  });

  it('refuses a graph that does not compile, naming the node, before starting any worker', async () => {
    const broken = chain(
      ['x', 'input', { channels: 1, height: 4, width: 4 }],
      ['c', 'conv2d', { kernelH: 7, kernelW: 7 }],
    );
    const error = await TrainingPool.create({ graph: broken, optimizer: { kind: 'sgd', learningRate: 0.1 } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GraphError);
    expect((error as GraphError).nodeId).toBe('c');
    expect((error as Error).message).toMatch(/7-pixel window is larger than the input height 4/);
  });

  it('refuses inputs of the wrong shape and labels that do not match, saying what was expected', async () => {
    const s = await pool();
    await expect(s.step(tensor([2, 1, 6, 6]), new Int32Array(2))).rejects.toThrow(
      /step: the inputs are \[1×6×6\] per example, the network's input expects \[1×8×8\]/,
    );
    await expect(s.runEpoch(data.x, new Int32Array(3), 8)).rejects.toThrow(/runEpoch: 64 examples but 3 labels/);
    await expect(s.runEpoch(data.x, data.labels, 0)).rejects.toThrow(
      /batch size must be a whole number of at least 1, got 0/,
    );
    await expect(s.activations(data.x, 'nope')).rejects.toThrow(/activations: no node 'nope' in this network/);
    await expect(
      TrainingPool.create({ graph, threads: 0, optimizer: { kind: 'sgd', learningRate: 0.1 } }),
    ).rejects.toThrow(/threads must be a whole number from 1 to 256, got 0/);
  });

  it('closes: the workers end and every later call is refused', async () => {
    const s = await pool();
    await s.close();
    expect(s.state).toBe('closed');
    await expect(s.getWeights()).rejects.toThrow(/the training session is closed/);
    await expect(s.step(data.x, data.labels)).rejects.toThrow(/the training session is closed/);
    await s.close(); // closing twice is harmless
  });
});
