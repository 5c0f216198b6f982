import { afterAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/engine';
import type { StepEvent, TrainingSession } from '../../src/host/session';
import { examples, flat } from '../helpers/examples';
import { chain } from '../helpers/graphs';
import { classNames, tensorSession, trainingPlan } from '../helpers/plan';

/**
 * Driving a run through the one training loop: progress, pause and resume, stop, and reading weights and
 * activations while it trains. The session runs over examples in memory (TensorData) on two workers.
 */

const graph = chain(
  ['x', 'input', { channels: 1, height: 8, width: 8 }],
  ['c', 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, padding: 1 }],
  ['r', 'relu'],
  ['p', 'maxpool2d'],
  ['f', 'flatten'],
  ['d', 'dense', { units: 3, init: 'glorot' }],
);

const data = examples(96, 2);
const held = examples(24, 5);
const BATCH = 4; // 24 steps an epoch

const open: TrainingSession[] = [];
async function session(
  over: { epochs?: number; batchSize?: number; train?: { x: Tensor; labels: Int32Array } } = {},
): Promise<TrainingSession> {
  const plan = trainingPlan(graph, {
    epochs: over.epochs ?? 2,
    batchSize: over.batchSize ?? BATCH,
    seed: 7,
    optimizer: 'adam',
    learningRate: 0.01,
  });
  const s = await tensorSession(
    plan,
    { train: over.train ?? data, validation: held, classes: classNames(3) },
    { threads: 2 },
  );
  open.push(s);
  return s;
}
afterAll(() => Promise.all(open.map((s) => s.close())));

describe('controlling a training run', () => {
  it('pauses and resumes to exactly the weights of an uninterrupted run', async () => {
    const [straight, interrupted] = await Promise.all([session(), session()]);
    expect(await straight.run()).toEqual({ status: 'finished', epochs: 2 });

    // Five pauses in a row, the first asked during step 26 (in the second epoch), each again right after the
    // resume before it: each lands after exactly one more step.
    const pausedAt: number[] = [];
    let last = 0;
    const pauseFiveTimes = async () => {
      for (let i = 0; i < 5; i++) {
        await interrupted.pause();
        pausedAt.push(last);
        // While paused the session answers other jobs; the weights it reports are final for this pause.
        const a = flat(await interrupted.pool.getWeights());
        await interrupted.validate();
        expect(flat(await interrupted.pool.getWeights())).toEqual(a);
        expect(interrupted.pool.globalStep).toBe(last);
        interrupted.resume();
      }
    };
    let pausing: Promise<void> | undefined;
    const end = await interrupted.run({
      onStep: (e) => {
        last = e.globalStep;
        if (e.globalStep === 26) pausing = pauseFiveTimes();
      },
    });
    await pausing;
    expect(pausedAt).toEqual([26, 27, 28, 29, 30]);
    expect(end).toEqual({ status: 'finished', epochs: 2 });
    expect(interrupted.pool.globalStep).toBe(48);
    expect(interrupted.epochHistory.map((e) => e.loss)).toEqual(straight.epochHistory.map((e) => e.loss));
    expect(flat(await interrupted.pool.getWeights())).toEqual(flat(await straight.pool.getWeights()));
  });

  it('reports every step’s loss, throughput and time left as it trains', async () => {
    const s = await session({ epochs: 1, batchSize: 10 });
    const seen: StepEvent[] = [];
    expect(await s.run({ onStep: (e) => seen.push(e) })).toEqual({ status: 'finished', epochs: 1 });
    expect(seen.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seen.map((e) => e.globalStep)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const e of seen) {
      expect(e).toMatchObject({ epoch: 1, steps: 10 });
      expect(e.loss).toBeGreaterThan(0);
      expect(e.imagesPerSecond).toBeGreaterThan(0);
    }
    // Nine steps are left after the first, none after the last.
    expect(seen[0].etaSeconds).toBeGreaterThan(0);
    expect(seen.at(-1)!.etaSeconds).toBe(0);
    // The epoch's loss is the mean of the steps' losses.
    const [epoch] = s.epochHistory;
    expect(epoch.loss).toBeCloseTo(seen.reduce((a, e) => a + e.loss, 0) / seen.length, 12);
    expect(epoch.globalStep).toBe(10);
  });

  it('stops at a step boundary long before the end of the epoch, and keeps what it learnt', async () => {
    const s = await session({ epochs: 1, batchSize: 2, train: examples(3000, 8) });
    const initial = flat(await s.pool.getWeights());
    const steps: number[] = [];
    let stopping: Promise<void> | undefined;
    const end = await s.run({
      onStep: (e) => {
        steps.push(e.globalStep);
        // Asked from outside the loop, while it trains on.
        if (e.globalStep === 3) stopping = new Promise((r) => setImmediate(r)).then(() => s.stop());
      },
    });
    await stopping;
    expect(end).toEqual({ status: 'stopped', epochs: 0 });
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(steps.length).toBeLessThan(1500);
    // Every step the pool took was reported: none was cut off half-way.
    expect(s.pool.globalStep).toBe(steps.length);
    expect(s.epochHistory).toHaveLength(0);
    const kept = flat(await s.pool.getWeights());
    expect(kept).not.toEqual(initial);
    expect(kept.every(Number.isFinite)).toBe(true);
    // The workers are still there: the pool trains on from the weights the run stopped with.
    await s.pool.step(data.x, data.labels);
    expect(s.pool.globalStep).toBe(steps.length + 1);
  });

  it('stops a paused run at once, without another step', async () => {
    const s = await session();
    const initial = flat(await s.pool.getWeights());
    let steps = 0;
    const run = s.run({ onStep: () => steps++ });
    // Asked before the first step, the pause holds the loop before it.
    await s.pause();
    expect(steps).toBe(0);
    s.stop();
    expect(await run).toEqual({ status: 'stopped', epochs: 0 });
    expect(steps).toBe(0);
    expect(s.pool.globalStep).toBe(0);
    expect(flat(await s.pool.getWeights())).toEqual(initial);
  });

  it('stopped before it starts, a run never takes a step', async () => {
    const s = await session();
    s.stop();
    let steps = 0;
    expect(await s.run({ onStep: () => steps++ })).toEqual({ status: 'stopped', epochs: 0 });
    expect(steps).toBe(0);
    expect(s.pool.globalStep).toBe(0);
  });

  it('paused while idle, a run waits before its first step until resumed', async () => {
    const s = await session({ epochs: 1 });
    // No run yet: the pause is granted at once, and the next run starts held.
    await s.pause();
    const steps: number[] = [];
    const run = s.run({ onStep: (e) => steps.push(e.globalStep) });
    // Resolves once the loop is held, before its first step.
    await s.pause();
    expect(steps).toEqual([]);
    expect(s.pool.globalStep).toBe(0);
    s.resume();
    expect(await run).toEqual({ status: 'finished', epochs: 1 });
    expect(steps).toHaveLength(24);
    // With no run going on, a pause resolves at once.
    await s.pause();
    s.resume();
  });

  it('refuses a second run while one goes on: the two would share one generator and one pool', async () => {
    const s = await session({ epochs: 1 });
    const first = s.run();
    await expect(s.run()).rejects.toThrow(/already training/);
    expect(await first).toEqual({ status: 'finished', epochs: 1 });
  });

  it('answers weights and activations between two steps while an epoch runs', async () => {
    const s = await session({ epochs: 1, batchSize: 2, train: examples(3000, 3) });
    const before = flat(await s.pool.getWeights());
    let done = false;
    let reads = 0;
    let duringRun = 0;
    const run = s.run().finally(() => (done = true));
    // Each answer comes between two steps of the running epoch, not after it.
    while (!done && reads < 5) {
      const [w, maps] = await Promise.all([s.pool.getWeights(), s.activations(data.x, 'r')]);
      if (!done) duringRun++;
      expect(Object.keys(w)).toEqual(['c.kernel', 'c.bias', 'd.kernel', 'd.bias']);
      expect(flat(w).every(Number.isFinite)).toBe(true);
      expect(maps.shape).toEqual([96, 4, 8, 8]);
      expect(maps.data.every((v) => v >= 0)).toBe(true); // after the ReLU
      reads++;
    }
    expect(await run).toEqual({ status: 'finished', epochs: 1 });
    expect(s.pool.globalStep).toBe(1500);
    expect(duringRun).toBeGreaterThan(0);
    expect(flat(await s.pool.getWeights())).not.toEqual(before);
  });
});
