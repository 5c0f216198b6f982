import type { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphError, tensor, type Tensor } from '../../src/engine';
import { lossBound, TensorData, type TrainingSession } from '../../src/host/session';
import { DivergedError, TrainingError, TrainingPool } from '../../src/host/training';
import { examples, flat } from '../helpers/examples';
import { chain } from '../helpers/graphs';
import { classNames, poolPlan, tensorSession, trainingPlan } from '../helpers/plan';

/** What goes wrong in a training worker reaches the caller, and the session survives what it can. */

const graph = chain(
  ['x', 'input', { channels: 1, height: 8, width: 8 }],
  ['c', 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, padding: 1 }],
  ['r', 'relu'],
  ['p', 'maxpool2d'],
  ['f', 'flatten'],
  ['d', 'dense', { units: 3, init: 'glorot' }],
);

const open: { close(): Promise<void> }[] = [];
async function pool(learningRate = 0.05): Promise<TrainingPool> {
  const p = await TrainingPool.create(poolPlan(graph, { seed: 4, optimizer: 'sgd', learningRate }), { threads: 2 });
  open.push(p);
  return p;
}
async function session(
  train: { x: Tensor; labels: Int32Array },
  hyper: { learningRate?: number; batchSize: number },
): Promise<TrainingSession> {
  const plan = trainingPlan(graph, { seed: 4, epochs: 1, optimizer: 'sgd', learningRate: 0.05, ...hyper });
  const s = await tensorSession(plan, { train, validation: held, classes: classNames(3) }, { threads: 2 });
  open.push(s);
  return s;
}
afterAll(() => Promise.all(open.map((p) => p.close())));

const data = examples(64, 6);
const held = examples(16, 7);

/** Examples [from, to) of a set. */
function rows(e: { x: Tensor; labels: Int32Array }, from: number, to: number): [Tensor, Int32Array] {
  return [tensor([to - from, 1, 8, 8], e.x.data.subarray(from * 64, to * 64)), e.labels.subarray(from, to)];
}

describe('faults in training', () => {
  it('refuses a diverging step, names it and keeps the last finite weights', async () => {
    const s = await pool(1e9);
    let steps = 0;
    let error: unknown = null;
    for (let i = 0; i < 64 && !error; i += 4) {
      await s.step(...rows(data, i, i + 4)).then(
        () => steps++,
        (e: unknown) => (error = e),
      );
    }
    expect(error).toBeInstanceOf(DivergedError);
    const d = error as DivergedError;
    // The refused step is the one after the last that succeeded; the pool counts only those.
    expect(d.step).toBe(steps + 1);
    expect(s.globalStep).toBe(steps);
    // At this rate the activations overflow within a few steps: the loss itself is no longer a number.
    expect(d).toMatchObject({ part: 'loss', bound: Infinity });
    expect(d.loss).toBeNaN();
    expect(d.message).toBe(
      `training diverged at step ${d.step}: the loss is NaN. ` +
        'The run stopped and kept the weights from before that step; lower the learning rate.',
    );
    const kept = flat(await s.getWeights());
    expect(kept.every(Number.isFinite)).toBe(true);
    // The kept weights are those after the last good step: with SGD at this rate, one more step would not be finite.
    await expect(s.step(data.x, data.labels)).rejects.toBeInstanceOf(DivergedError);
    expect(flat(await s.getWeights())).toEqual(kept);
  });

  it('ends a session on a diverging loss, naming the batch in its epoch, with the last finite weights', async () => {
    const s = await session(data, { learningRate: 1e9, batchSize: 4 });
    const losses: number[] = [];
    const end = await s.run({ onStep: (e) => losses.push(e.loss) });
    expect(end.status).toBe('diverged');
    if (end.status !== 'diverged') return;
    // The refused step is the one after the last reported one; nothing after it ran.
    const n = losses.length;
    expect(end.reason).toMatch(
      new RegExp(
        `^the loss became (NaN|Infinity|[\\d.e+]+, more than 100 times the run's first \\([\\d.]+\\)) ` +
          `at epoch 1, batch ${n + 1} of 16 \\(step ${n + 1}\\); training stopped with the weights of the step before\\. `,
      ),
    );
    expect(end.reason).toMatch(/Try a lower learning rate \(now 1000000000\)\.$/);
    expect(s.pool.globalStep).toBe(n);
    expect(s.epochHistory).toHaveLength(0);
    const kept = flat(await s.pool.getWeights());
    expect(kept.every(Number.isFinite)).toBe(true);
    // The session's bound refused it (divergence.ts): a step held to the same bound is refused again.
    const bound = lossBound(losses[0]);
    for (const l of losses) expect(l).toBeLessThanOrEqual(bound);
    await expect(s.pool.step(data.x, data.labels, bound)).rejects.toBeInstanceOf(DivergedError);
    expect(flat(await s.pool.getWeights())).toEqual(kept);
  });

  it('refuses a step whose update would make weights infinite: every worker puts its slice back', async () => {
    const s = await pool(1e36);
    const initial = flat(await s.getWeights());
    // Large inputs give gradients in the thousands: a finite loss and gradient, but lr × gradient overflows.
    const loud = tensor(
      data.x.shape,
      data.x.data.map((v) => v * 1000),
    );
    const error = await s.step(...rows({ x: loud, labels: data.labels }, 0, 8)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DivergedError);
    expect(error).toMatchObject({ step: 1, part: 'weights' });
    expect(Number.isFinite((error as DivergedError).loss)).toBe(true);
    expect((error as Error).message).toMatch(
      /^training diverged at step 1: the loss is [0-9.]+ but the update made some weights infinite\. /,
    );
    expect(s.globalStep).toBe(0);
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

  it('reports a worker that dies mid-run, and refuses to go on with a broken pool', async () => {
    const s = await session(examples(4000, 2), { batchSize: 2 });
    const workers = (s.pool as unknown as { workers: Worker[] }).workers;
    // What an out-of-memory crash or a kill looks like from the host: the thread ends.
    const run = s.run({ onStep: (e) => e.globalStep === 5 && void workers[1].terminate() });
    await expect(run).rejects.toThrow(/training worker 1 died: it exited with code 1/);
    await expect(s.pool.getWeights()).rejects.toThrow(/the training session cannot continue: training worker 1 died/);
  });

  it('refuses a graph that does not compile, naming the node, before starting any worker', async () => {
    const broken = chain(
      ['x', 'input', { channels: 1, height: 4, width: 4 }],
      ['c', 'conv2d', { kernelH: 7, kernelW: 7 }],
    );
    const error = await TrainingPool.create(poolPlan(broken)).then(
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
      /^step: the inputs are \[1×6×6\] per example, the network's input expects \[1×8×8\]$/,
    );
    await expect(s.step(data.x, new Int32Array(3))).rejects.toThrow(/^step: 64 examples but 3 labels$/);
    await expect(s.evaluate(data.x, new Int32Array(3))).rejects.toThrow(/^evaluate: 64 examples but 3 labels$/);
    await expect(s.activations(data.x, 'nope')).rejects.toThrow(/^activations: no node 'nope' in this network$/);
    expect(s.globalStep).toBe(0);
    await expect(TrainingPool.create(poolPlan(graph), { threads: 0 })).rejects.toThrow(
      /^threads must be a whole number from 1 to 256, got 0$/,
    );
    // The session's examples and plan are checked as well.
    expect(() => new TensorData(data, { x: held.x, labels: new Int32Array(3) }, classNames(3))).toThrow(
      /^the validation examples have 16 inputs but 3 labels$/,
    );
    const zero = await session(data, { batchSize: 0 });
    await expect(zero.run()).rejects.toThrow(/^The batch size must be a whole number of at least 1, got 0$/);
    expect(zero.pool.globalStep).toBe(0);
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
