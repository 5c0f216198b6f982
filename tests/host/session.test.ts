import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGraph } from '../../src/shared/graph';
import type { TrainingSession } from '../../src/host/session';
import type { TrainingPlan } from '../../src/shared/api';
import type { Hyperparameters } from '../../src/shared/training';
import { chain } from '../helpers/graphs';
import { sampleSession, trainingPlan } from '../helpers/plan';

/** A small CNN on the built-in sample (800 training, 200 validation images of 28×28). */
const graph = chain(
  ['x', 'input', { channels: 1, height: 28, width: 28 }],
  ['conv1', 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, stride: 2, padding: 'same' }],
  ['relu1', 'relu'],
  ['pool1', 'maxpool2d'],
  ['flat', 'flatten'],
  ['fc', 'dense', { units: 10, init: 'glorot' }],
  ['probs', 'softmax'],
);

const config = (over: Partial<Hyperparameters> = {}): TrainingPlan =>
  trainingPlan(graph, {
    epochs: 2,
    batchSize: 32,
    seed: 3,
    patience: 0,
    optimizer: 'adam',
    learningRate: 0.003,
    ...over,
  });

const open: TrainingSession[] = [];
async function session(c: TrainingPlan): Promise<TrainingSession> {
  const s = await sampleSession(c, { threads: 2 });
  open.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const flat = (w: Record<string, { data: Float32Array }>) =>
  Object.keys(w)
    .sort()
    .flatMap((k) => Array.from(w[k].data));

describe('a training session on the built-in sample', () => {
  it('learns, reports every step and epoch, and keeps the best weights', async () => {
    const s = await session(config());
    const steps: number[] = [];
    const epochs: number[] = [];
    const end = await s.run({ onStep: (e) => steps.push(e.loss), onEpoch: (e) => epochs.push(e.valAccuracy) });
    expect(end).toEqual({ status: 'finished', epochs: 2 });
    expect(steps.length).toBe(2 * Math.ceil(800 / 32));
    expect(epochs.length).toBe(2);
    expect(Math.max(...epochs)).toBeGreaterThan(0.5);
    expect(steps.at(-1)!).toBeLessThan(steps[0]);
    const best = s.epochHistory.reduce((a, b) => (b.valAccuracy > a.valAccuracy ? b : a));
    expect(best.best).toBe(true);
  });

  it('pause and resume give the same weights as an uninterrupted run with the same seed', async () => {
    const a = await session(config());
    await a.run();
    const straight = flat(await a.pool.getWeights());

    const b = await session(config());
    let paused = false;
    const run = b.run({
      onStep: (e) => {
        if (e.globalStep === 7 && !paused) {
          paused = true;
          // Resumed as soon as the loop is held between two steps.
          void b.pause().then(() => b.resume());
        }
      },
    });
    expect(await run).toEqual({ status: 'finished', epochs: 2 });
    expect(paused).toBe(true);
    expect(flat(await b.pool.getWeights())).toEqual(straight);
  });

  it('a diverging loss stops within one step with where and why, and the weights stay finite', async () => {
    // LeNet-5 with plain SGD at a learning rate of 10: the activations blow up within a few steps; the loss
    // passes 100 times its first value (divergence.ts) or stops being finite.
    const lenet = parseGraph(JSON.parse(readFileSync('resources/templates/lenet5.json', 'utf8')));
    const s = await session({ ...config({ seed: 1, optimizer: 'sgd', learningRate: 10 }), graph: lenet });
    const end = await s.run();
    expect(end.status).toBe('diverged');
    if (end.status !== 'diverged') return;
    expect(end.reason).toMatch(
      /the loss became (NaN|Infinity|[\d.e+]+, more than 100 times the run's first \([\d.]+\)) at epoch 1, batch \d+ of 25 \(step \d+\)/,
    );
    expect(end.reason).toMatch(/lower learning rate \(now 10\)/);
    expect(flat(await s.pool.getWeights()).every(Number.isFinite)).toBe(true);
  });

  it('stops early when validation accuracy stops improving', async () => {
    // A learning rate of zero never improves on the first epoch.
    const s = await session(config({ epochs: 10, patience: 2, optimizer: 'sgd', learningRate: 0 }));
    const end = await s.run();
    expect(end.status).toBe('early-stopped');
    expect(end.epochs).toBe(3);
  });

  it('stop() ends the run before the next step', async () => {
    const s = await session(config({ epochs: 5 }));
    const end = await s.run({ onStep: (e) => e.globalStep === 3 && s.stop() });
    expect(end).toEqual({ status: 'stopped', epochs: 0 });
  });

  it('refuses a network whose outputs do not match the classes, naming the node and the fix', async () => {
    const bad = {
      ...config(),
      graph: chain(
        ['x', 'input', { channels: 1, height: 28, width: 28 }],
        ['f', 'flatten'],
        ['out', 'dense', { units: 3 }],
      ),
    };
    await expect(sampleSession(bad, { threads: 2 })).rejects.toThrow(
      /output node 'out' gives 3 values, but \S*resources\/sample has 10 classes; set the last Dense layer to 10 units/,
    );
  });
});
