import { describe, expect, it } from 'vitest';
import { TrainingPool } from '../../src/host/training';
import { chain } from '../helpers/graphs';
import { loadFashion } from '../helpers/fashion';

/**
 * The engine learns real images: a small CNN trained for a few epochs on the 5,000 training PNGs of
 * fashion-mnist-small reaches at least 0.80 accuracy on its 1,000 test PNGs. This is the engine with its
 * TypeScript reference kernels, on one worker thread (which trains exactly as the engine's Trainer does): the
 * test waits on the worker instead of blocking vitest's thread, so a busy machine only makes it slower.
 * tests/host/training-fashion.test.ts runs the same network on two workers with the WebAssembly kernels.
 */
describe('training a small CNN on fashion-mnist-small', () => {
  it('reaches at least 0.80 test accuracy in three epochs', { timeout: 900_000 }, async () => {
    const train = loadFashion('train');
    const test = loadFashion('test');
    expect(train.labels.length).toBe(5000);
    expect(test.labels.length).toBe(1000);
    const pool = await TrainingPool.create({
      graph: chain(
        ['x', 'input', { channels: 1, height: 28, width: 28 }],
        ['conv1', 'conv2d', { filters: 8, kernelH: 5, kernelW: 5 }],
        ['relu1', 'relu'],
        ['pool1', 'maxpool2d', { size: 2, stride: 2 }],
        ['flat', 'flatten'],
        ['fc', 'dense', { units: 10, init: 'glorot' }],
        ['probs', 'softmax'],
      ),
      seed: 1,
      threads: 1,
      kernels: 'reference',
      optimizer: { kind: 'adam', learningRate: 0.002 },
    });
    try {
      expect(pool.kernels).toBe('reference');
      const before = await pool.evaluate(test.x, test.labels);
      const losses: number[] = [];
      for (let epoch = 0; epoch < 3; epoch++) losses.push((await pool.runEpoch(train.x, train.labels, 32)).loss);
      const after = await pool.evaluate(test.x, test.labels);
      console.log(
        `fashion-mnist-small: epoch losses ${losses.map((l) => l.toFixed(3)).join(', ')}; test accuracy ${before.accuracy.toFixed(3)} → ${after.accuracy.toFixed(3)}`,
      );
      expect(losses[2]).toBeLessThan(losses[0]);
      expect(after.accuracy).toBeGreaterThanOrEqual(0.8);
      // The confusion matrix accounts for every test image.
      expect(after.confusion.flat().reduce((a, b) => a + b, 0)).toBe(1000);
    } finally {
      await pool.close();
    }
  });
});
