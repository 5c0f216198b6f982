import { afterAll, describe, expect, it } from 'vitest';
import { compileGraph, type Examples, type Rng } from '../../src/engine';
import type { AugmentOptions } from '../../src/host/datasets';
import { TensorData, TrainingSession } from '../../src/host/session';
import { examples } from '../helpers/examples';
import { linearClassifier } from '../helpers/graphs';
import { classNames, trainingPlan } from '../helpers/plan';

/**
 * The session gathers the next batch while the workers step on the current one, and still ends cleanly: a batch
 * that fails surfaces as the run's error, and the examples' generator is closed however the run ends.
 */
const graph = linearClassifier();
const plan = trainingPlan(graph, { epochs: 1, batchSize: 8, seed: 2, optimizer: 'sgd', learningRate: 0.1 });

/** TensorData that logs when each batch is handed over and when its generator closes, and can fail at a batch. */
class LoggedData extends TensorData {
  readonly log: string[] = [];
  constructor(private readonly failAt = -1) {
    super(examples(48, 1), examples(8, 2), classNames(3));
  }
  override async *batches(batchSize: number, rng: Rng, augment?: AugmentOptions): AsyncGenerator<Examples> {
    let k = 0;
    try {
      for await (const b of super.batches(batchSize, rng, augment)) {
        if (k === this.failAt) throw new Error(`batch ${k} could not be read`);
        this.log.push(`batch ${k++}`);
        yield b;
      }
    } finally {
      this.log.push('closed');
    }
  }
}

const open: TrainingSession[] = [];
afterAll(() => Promise.all(open.map((s) => s.close())));
async function session(data: LoggedData): Promise<TrainingSession> {
  const s = await TrainingSession.open(plan, { compiled: compileGraph(graph), data, threads: 2 });
  open.push(s);
  return s;
}

describe('the next batch, gathered during the step', () => {
  it('is handed over before the step before it ends', async () => {
    const data = new LoggedData();
    const s = await session(data);
    expect(await s.run({ onStep: (e) => data.log.push(`step ${e.step}`) })).toEqual({ status: 'finished', epochs: 1 });
    expect(data.log).toEqual([
      'batch 0',
      'batch 1',
      'step 1',
      'batch 2',
      'step 2',
      'batch 3',
      'step 3',
      'batch 4',
      'step 4',
      'batch 5',
      'step 5',
      'closed',
      'step 6',
    ]);
  });

  it('fails the run with the batch’s error, after the steps before it', async () => {
    const data = new LoggedData(3);
    const s = await session(data);
    const steps: number[] = [];
    await expect(s.run({ onStep: (e) => steps.push(e.step) })).rejects.toThrow('batch 3 could not be read');
    expect(steps).toEqual([1, 2, 3]);
    expect(data.log.at(-1)).toBe('closed');
  });

  it('closes the generator when the run is stopped', async () => {
    const data = new LoggedData();
    const s = await session(data);
    expect(await s.run({ onStep: (e) => e.step === 2 && s.stop() })).toEqual({ status: 'stopped', epochs: 0 });
    expect(data.log.at(-1)).toBe('closed');
  });
});
