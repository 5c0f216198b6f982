import { afterEach, describe, expect, it } from 'vitest';
import { DIVERGENCE_CEILING, lossBound, type TrainingSession } from '../../src/host/session';
import { chain } from '../helpers/graphs';
import { sampleSession, trainingPlan } from '../helpers/plan';

/** A small CNN on the built-in sample (800 training, 200 validation images of 28×28). */
const graph = chain(
  ['x', 'input', { channels: 1, height: 28, width: 28 }],
  ['conv1', 'conv2d', { filters: 4, stride: 2, padding: 'same' }],
  ['relu1', 'relu'],
  ['flat', 'flatten'],
  ['fc', 'dense', { units: 10, init: 'glorot' }],
);

const config = (learningRate: number, epochs = 2) =>
  trainingPlan(graph, { epochs, batchSize: 32, seed: 1, patience: 0, optimizer: 'adam', learningRate });

const open: TrainingSession[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('the divergence bound', () => {
  it('is 100 times the first loss, at least 100 and at most 1e6, and 1e6 before the first step', () => {
    expect(lossBound(null)).toBe(DIVERGENCE_CEILING);
    expect(lossBound(2.3)).toBeCloseTo(230, 9);
    expect(lossBound(0.01)).toBe(100);
    expect(lossBound(50_000)).toBe(1e6);
    expect(lossBound(NaN)).toBe(1e6);
  });

  it('stops Adam at a learning rate of 1e6 although every loss stays finite, before the step that crossed it', async () => {
    const s = await sampleSession(config(1e6), { threads: 2 });
    open.push(s);
    const losses: number[] = [];
    const end = await s.run({ onStep: (e) => losses.push(e.loss) });
    expect(end.status).toBe('diverged');
    if (end.status !== 'diverged') return;
    expect(end.reason).toMatch(
      /^the loss became [\d.e+]+, (more than 100 times the run's first \([\d.]+\)|above 1e\+6) at epoch 1, batch \d+ of 25 \(step \d+\); training stopped with the weights of the step before\./,
    );
    // Every step that was taken had a loss within the bound; the one past it was refused.
    expect(losses.length).toBeGreaterThan(0);
    for (const l of losses) expect(l).toBeLessThanOrEqual(lossBound(losses[0]));
    const weights = Object.values(await s.pool.getWeights()).flatMap((t) => Array.from(t.data));
    expect(weights.every(Number.isFinite)).toBe(true);
    expect(s.epochHistory).toHaveLength(0);
  });

  it('lets a healthy run finish: its losses stay far below the bound', async () => {
    const s = await sampleSession(config(0.003, 1), { threads: 2 });
    open.push(s);
    const losses: number[] = [];
    expect(await s.run({ onStep: (e) => losses.push(e.loss) })).toEqual({ status: 'finished', epochs: 1 });
    expect(Math.max(...losses)).toBeLessThan(lossBound(losses[0]) / 100);
  });
});
