import { afterAll, describe, expect, it } from 'vitest';
import { learningRateAt, Rng } from '../../src/engine';
import { TensorData, type StepEvent, type TrainingSession } from '../../src/host/session';
import { TrainingPool } from '../../src/host/training';
import type { ScheduleKind } from '../../src/shared/training';
import { examples, flat } from '../helpers/examples';
import { chain } from '../helpers/graphs';
import { classNames, tensorSession, trainingPlan } from '../helpers/plan';

/**
 * A learning-rate schedule reaches every worker's optimizer: a session with a cosine decay reports the rate of
 * each step, and ends with exactly the weights of a pool stepped by hand over the same batches at those rates.
 */

const graph = chain(
  ['x', 'input', { channels: 1, height: 8, width: 8 }],
  ['c', 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, padding: 1 }],
  ['r', 'relu'],
  ['f', 'flatten'],
  ['d', 'dense', { units: 3, init: 'glorot' }],
);
const train = examples(64, 2);
const held = examples(16, 5);
const EPOCHS = 3;
const BATCH = 8; // 8 steps an epoch, 24 in all
const plan = (schedule: ScheduleKind) =>
  trainingPlan(graph, { epochs: EPOCHS, batchSize: BATCH, seed: 3, optimizer: 'sgd', learningRate: 0.2, schedule });

const open: { close(): Promise<void> }[] = [];
afterAll(() => Promise.all(open.map((s) => s.close())));

async function session(schedule: ScheduleKind): Promise<TrainingSession> {
  const s = await tensorSession(plan(schedule), { train, validation: held, classes: classNames(3) }, { threads: 2 });
  open.push(s);
  return s;
}

describe('a cosine learning-rate schedule', () => {
  it('reports each step’s rate, from the plan’s down towards 0 at the last step', async () => {
    const s = await session('cosine');
    const steps: StepEvent[] = [];
    expect(await s.run({ onStep: (e) => steps.push(e) })).toEqual({ status: 'finished', epochs: EPOCHS });
    expect(steps).toHaveLength(24);
    expect(steps.map((e) => e.learningRate)).toEqual(
      steps.map((e) => learningRateAt('cosine', 0.2, e.globalStep - 1, 24)),
    );
    expect(steps[0].learningRate).toBe(0.2);
    expect(steps[12].learningRate).toBeCloseTo(0.1, 12);
    expect(steps[23].learningRate).toBeGreaterThan(0);
    expect(steps[23].learningRate).toBeLessThan(0.2 * 0.01);
    for (let i = 1; i < steps.length; i++) expect(steps[i].learningRate).toBeLessThan(steps[i - 1].learningRate);
  });

  it('steps the workers at those rates: the same weights as a pool stepped by hand', async () => {
    const scheduled = await session('cosine');
    await scheduled.run();

    const pool = await TrainingPool.create(plan('cosine'), { threads: 2 });
    open.push(pool);
    const data = new TensorData(train, held, classNames(3));
    const rng = new Rng(3); // the session's generator: it shuffles with the plan's seed
    let t = 0;
    for (let epoch = 0; epoch < EPOCHS; epoch++) {
      for await (const b of data.batches(BATCH, rng)) {
        await pool.step(b.x, b.labels, Infinity, learningRateAt('cosine', 0.2, t++, 24));
      }
    }
    expect(t).toBe(24);
    expect(flat(await scheduled.pool.getWeights())).toEqual(flat(await pool.getWeights()));

    // And the rates matter: held at 0.2, the same run ends elsewhere.
    const constant = await session('constant');
    await constant.run();
    expect(flat(await constant.pool.getWeights())).not.toEqual(flat(await pool.getWeights()));
  });
});
