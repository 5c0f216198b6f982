import { afterAll, describe, expect, it } from 'vitest';
import { Rng, tensor, type NamedWeights, type Tensor } from '../../src/engine';
import { TrainingPool, type StepProgress } from '../../src/host/training';
import { chain } from '../helpers/graphs';

/** Driving a run: progress, pause and resume, stop, and reading weights and activations while it trains. */

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
async function pool(): Promise<TrainingPool> {
  const p = await TrainingPool.create({ graph, seed: 7, threads: 2, optimizer: { kind: 'adam', learningRate: 0.01 } });
  open.push(p);
  return p;
}
afterAll(() => Promise.all(open.map((p) => p.close())));

const data = examples(96, 2);
const BATCH = 4; // 24 steps an epoch

describe('controlling a training run', () => {
  it('pauses and resumes to exactly the weights of an uninterrupted run', async () => {
    const [straight, interrupted] = await Promise.all([pool(), pool()]);
    await straight.runEpoch(data.x, data.labels, BATCH);
    const second = await straight.runEpoch(data.x, data.labels, BATCH);

    await interrupted.runEpoch(data.x, data.labels, BATCH);
    const run = interrupted.runEpoch(data.x, data.labels, BATCH);
    // Asked before the first step ends (and again right after each resume), a pause lands after one more step.
    const pausedAt: number[] = [];
    for (let i = 0; i < 5; i++) {
      let last = 0;
      const off = interrupted.onProgress((p) => (last = p.stepInEpoch));
      expect(await interrupted.pause()).toBe(true);
      off();
      expect(interrupted.state).toBe('paused');
      pausedAt.push(last);
      // While paused the session answers other jobs; the weights it reports are final for this pause.
      const a = flat(await interrupted.getWeights());
      await interrupted.evaluate(data.x, data.labels);
      expect(flat(await interrupted.getWeights())).toEqual(a);
      expect(interrupted.resume()).toBe(true);
    }
    const result = await run;
    expect(pausedAt).toEqual([1, 2, 3, 4, 5]);
    expect(result).toMatchObject({ steps: 24, images: 96, stopped: false, globalStep: 48 });
    expect(result.loss).toBe(second.loss);
    expect(flat(await interrupted.getWeights())).toEqual(flat(await straight.getWeights()));
    expect(interrupted.state).toBe('idle');
  });

  it('reports every step’s loss and throughput as it trains', async () => {
    const s = await pool();
    const seen: StepProgress[] = [];
    const result = await s.runEpoch(data.x, data.labels, 10, { onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.stepInEpoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seen.map((p) => p.globalStep)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seen.map((p) => p.batchImages)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 6]);
    expect(seen.at(-1)!.epochImages).toBe(96);
    for (const p of seen) {
      expect(p.stepsInEpoch).toBe(10);
      expect(p.loss).toBeGreaterThan(0);
      expect(p.imagesPerSecond).toBeGreaterThan(0);
    }
    // The epoch's loss is the mean of the steps' losses.
    expect(result.loss).toBeCloseTo(seen.reduce((a, p) => a + p.loss, 0) / seen.length, 12);
  });

  it('stops an epoch early, keeps what it learnt, and trains on afterwards', async () => {
    const s = await pool();
    const run = s.runEpoch(data.x, data.labels, BATCH);
    expect(await s.pause()).toBe(true);
    const stopping = s.stop();
    const result = await run;
    await stopping;
    expect(result).toMatchObject({ stopped: true, steps: 1, images: BATCH, globalStep: 1 });
    expect(s.state).toBe('idle');
    expect(s.resume()).toBe(false);
    // Stopped before it got its turn, a run never starts.
    const never = s.runEpoch(data.x, data.labels, BATCH);
    await s.stop();
    expect(await never).toMatchObject({ stopped: true, steps: 0, images: 0, globalStep: 1 });
    // Stopped while it runs, it ends at the next step boundary, long before the end of this epoch.
    const long = examples(3000, 8);
    let stopping2: Promise<void> | undefined;
    const cut = await s.runEpoch(long.x, long.labels, 2, { onProgress: () => (stopping2 ??= s.stop()) });
    await stopping2;
    expect(cut.stopped).toBe(true);
    expect(cut.steps).toBeLessThan(1500);
    expect(s.globalStep).toBe(1 + cut.steps);
    const full = await s.runEpoch(data.x, data.labels, BATCH);
    expect(full).toMatchObject({ stopped: false, steps: 24, globalStep: 1 + cut.steps + 24 });
  });

  it('refuses a second run while one is paused, and a step while a run is in progress', async () => {
    const s = await pool();
    const run = s.runEpoch(data.x, data.labels, BATCH);
    await s.pause();
    await expect(s.runEpoch(data.x, data.labels, BATCH)).rejects.toThrow(/a run is already in progress/);
    await expect(s.step(data.x, data.labels)).rejects.toThrow(/a run is in progress/);
    s.resume();
    expect((await run).steps).toBe(24);
  });

  it('answers weights and activations between two steps while an epoch runs', async () => {
    const s = await pool();
    const big = examples(3000, 3);
    const before = flat(await s.getWeights());
    let reads = 0;
    let duringRun = 0;
    const run = s.runEpoch(big.x, big.labels, 2);
    // Each answer comes between two steps of the running epoch, not after it.
    while (s.state === 'running' && reads < 5) {
      const [w, maps] = await Promise.all([s.getWeights(), s.activations(data.x, 'r')]);
      if (s.state === 'running') duringRun++;
      expect(Object.keys(w)).toEqual(['c.kernel', 'c.bias', 'd.kernel', 'd.bias']);
      expect(flat(w).every(Number.isFinite)).toBe(true);
      expect(maps.shape).toEqual([96, 4, 8, 8]);
      expect(maps.data.every((v) => v >= 0)).toBe(true); // after the ReLU
      reads++;
    }
    const result = await run;
    expect(result.steps).toBe(1500);
    expect(duringRun).toBeGreaterThan(0);
    expect(flat(await s.getWeights())).not.toEqual(before);
  });
});
