import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileGraph, type Examples, type Rng } from '../../src/engine';
import { Rng as SeededRng } from '../../src/engine/rng';
import { DatasetSource, openDataset, type AugmentOptions, type DatasetIndex } from '../../src/host/datasets';
import { SpareBuffers } from '../../src/host/datasets/spare';
import { TensorData, TrainingSession } from '../../src/host/session';
import { noise, tempFolder, writeImage } from '../fixtures/datasets/generate';
import { examples } from '../helpers/examples';
import { linearClassifier } from '../helpers/graphs';
import { classNames, trainingPlan } from '../helpers/plan';

/**
 * Batch buffers given back after their step are reused by later batches (datasets/spare.ts): the batches keep the
 * values they had when every batch was new, a batch never given back is never overwritten, and the session gives
 * each training batch back once, after its step and its onStep.
 */
let folder: ReturnType<typeof tempFolder>;
const input = { height: 10, width: 10, channels: 3 } as const;
let index: DatasetIndex;

beforeAll(async () => {
  folder = tempFolder('release');
  let seed = 1;
  for (const name of ['ant', 'bee']) {
    for (let i = 0; i < 11; i++) await writeImage(join(folder.path, name, `${i}.png`), noise(10, 10, 3, seed++));
  }
  index = await openDataset(folder.path, { validationFraction: 0 });
});
afterAll(() => folder.remove());

/** An epoch's batches as copies of their values, giving each batch back after copying it when `release` is set. */
async function epoch(source: DatasetSource, seed: number, release: boolean, aug?: AugmentOptions) {
  const values: number[][] = [];
  const buffers = new Set<Float32Array>();
  for await (const b of source.batches('train', 4, { rng: new SeededRng(seed), augment: aug })) {
    values.push(Array.from(b.x.data));
    buffers.add(b.x.data);
    if (release) source.release(b.x);
  }
  return { values, buffers };
}

describe('a dataset source reuses the batch buffers given back', () => {
  for (const aug of [undefined, { flip: true, shift: 0.1, brightness: 0.2 }]) {
    it(`gives the same batches as new buffers do, ${aug ? 'augmented' : 'not augmented'}`, async () => {
      const fresh = await epoch(DatasetSource.create(index, input), 3, false, aug);
      const source = DatasetSource.create(index, input);
      for (let e = 0; e < 2; e++) {
        const reused = await epoch(source, 3, true, aug);
        expect(reused.values).toEqual(fresh.values);
        // 6 batches, in a few buffers going round, instead of one each (the short last batch has its own size).
        expect(fresh.buffers.size).toBe(6);
        expect(reused.buffers.size).toBeLessThanOrEqual(e === 0 ? 4 : 3);
      }
    });
  }

  it('never overwrites a batch that was not given back', async () => {
    const source = DatasetSource.create(index, input);
    const kept: Float32Array[] = [];
    for await (const b of source.batches('train', 4, { rng: new SeededRng(5), augment: { flip: true } })) {
      kept.push(b.x.data);
    }
    const want = await epoch(DatasetSource.create(index, input), 5, false, { flip: true });
    expect(kept.map((x) => Array.from(x))).toEqual(want.values);
  });
});

describe('the spare buffers', () => {
  it('hand back a buffer of the exact size asked, once, and keep at most their limit', () => {
    const spare = new SpareBuffers(2);
    const a = new Float32Array(8);
    const b = new Float32Array(8);
    const c = new Float32Array(4);
    spare.give(a);
    spare.give(a); // twice: still one buffer, or two batches would share it
    expect(spare.take(8)).toBe(a);
    expect(spare.take(8)).not.toBe(a);
    spare.give(a);
    spare.give(b);
    spare.give(c); // over the limit: dropped
    expect(spare.take(4)).not.toBe(c);
    expect([spare.take(8), spare.take(8)]).toEqual(expect.arrayContaining([a, b]));
  });
});

const graph = linearClassifier();
const plan = trainingPlan(graph, { epochs: 2, batchSize: 8, seed: 2, optimizer: 'sgd', learningRate: 0.1 });

/** TensorData that logs the batches it hands over and the ones given back. */
class ReleasingData extends TensorData {
  readonly log: string[] = [];
  private readonly ids = new Map<Examples, number>();
  constructor() {
    super(examples(24, 1), examples(8, 2), classNames(3));
  }
  override async *batches(batchSize: number, rng: Rng, augment?: AugmentOptions): AsyncGenerator<Examples> {
    let k = 0;
    for await (const b of super.batches(batchSize, rng, augment)) {
      this.ids.set(b, k);
      this.log.push(`batch ${k++}`);
      yield b;
    }
  }
  release(batch: Examples): void {
    this.log.push(`release ${this.ids.get(batch) ?? 'unknown'}`);
  }
}

describe('the session gives each training batch back after its step', () => {
  const open: TrainingSession[] = [];
  afterAll(() => Promise.all(open.map((s) => s.close())));

  it('once, after the step and its onStep, and only the batches it stepped on', async () => {
    const data = new ReleasingData();
    const s = await TrainingSession.open(plan, { compiled: compileGraph(graph), data, threads: 1 });
    open.push(s);
    expect(await s.run({ onStep: (e) => data.log.push(`step ${e.step}`) })).toEqual({
      status: 'finished',
      epochs: 2,
    });
    const oneEpoch = ['batch 0', 'batch 1', 'step 1', 'release 0', 'batch 2', 'step 2', 'release 1', 'step 3'];
    expect(data.log).toEqual([...oneEpoch, 'release 2', ...oneEpoch, 'release 2']);
  });
});
