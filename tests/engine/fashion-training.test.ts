import { describe, expect, it } from 'vitest';
import { chain } from '../helpers/graphs';
import { loadFashion } from '../helpers/fashion';
import { tensorSession, trainingPlan } from '../helpers/plan';

/**
 * The engine learns real images: a small CNN trained for a few epochs on the 5,000 training PNGs of
 * fashion-mnist-small reaches at least 0.80 accuracy on its 1,000 test PNGs. This is the engine with its
 * TypeScript reference kernels, driven by a session on one worker thread (which trains exactly as the engine's
 * Trainer does): the test waits on the worker instead of blocking vitest's thread, so a busy machine only makes
 * it slower.
 * tests/host/training-fashion.test.ts runs the same network on two workers with the WebAssembly kernels.
 */
describe('training a small CNN on fashion-mnist-small', () => {
  it('reaches at least 0.80 test accuracy in three epochs', { timeout: 900_000 }, async () => {
    const train = loadFashion('train');
    const test = loadFashion('test');
    expect(train.labels.length).toBe(5000);
    expect(test.labels.length).toBe(1000);
    const plan = trainingPlan(
      chain(
        ['x', 'input', { channels: 1, height: 28, width: 28 }],
        ['conv1', 'conv2d', { filters: 8, kernelH: 5, kernelW: 5 }],
        ['relu1', 'relu'],
        ['pool1', 'maxpool2d', { size: 2, stride: 2 }],
        ['flat', 'flatten'],
        ['fc', 'dense', { units: 10, init: 'glorot' }],
        ['probs', 'softmax'],
      ),
      { epochs: 3, batchSize: 32, seed: 1, optimizer: 'adam', learningRate: 0.002 },
    );
    // The test images are the validation split: the session reports their accuracy after every epoch.
    const session = await tensorSession(
      plan,
      { train, validation: test, classes: train.classes },
      { threads: 1, kernels: 'reference' },
    );
    try {
      expect(session.pool.kernels).toBe('reference');
      const before = await session.validate();
      expect(await session.run()).toEqual({ status: 'finished', epochs: 3 });
      const losses = session.epochHistory.map((e) => e.loss);
      const after = await session.validate();
      console.log(
        `fashion-mnist-small: epoch losses ${losses.map((l) => l.toFixed(3)).join(', ')}; test accuracy ${before.accuracy.toFixed(3)} → ${after.accuracy.toFixed(3)}`,
      );
      expect(losses[2]).toBeLessThan(losses[0]);
      expect(after.accuracy).toBeGreaterThanOrEqual(0.8);
      expect(session.epochHistory[2].valAccuracy).toBe(after.accuracy);
      // The confusion matrix accounts for every test image.
      expect(after.confusion.flat().reduce((a, b) => a + b, 0)).toBe(1000);
    } finally {
      await session.close();
    }
  });
});
