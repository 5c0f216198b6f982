import { describe, expect, it } from 'vitest';
import { loadFashion } from '../helpers/fashion';
import { chain } from '../helpers/graphs';
import { tensorSession, trainingPlan } from '../helpers/plan';

/** The session learns real images: two workers, the WebAssembly kernels, fashion-mnist-small in memory. */
describe('training on fashion-mnist-small with two workers', () => {
  it('reaches at least 0.80 test accuracy in three epochs', async () => {
    const train = loadFashion('train');
    const test = loadFashion('test');
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
    const s = await tensorSession(plan, { train, validation: test, classes: train.classes }, { threads: 2 });
    try {
      const before = await s.validate();
      expect(await s.run()).toEqual({ status: 'finished', epochs: 3 });
      const losses = s.epochHistory.map((e) => e.loss);
      const after = await s.validate();
      console.log(
        `session (${s.pool.threads} threads, ${s.pool.kernels} kernels): epoch losses ${losses.map((l) => l.toFixed(3)).join(', ')}; ` +
          `test accuracy ${before.accuracy.toFixed(3)} → ${after.accuracy.toFixed(3)}`,
      );
      expect(losses[2]).toBeLessThan(losses[0]);
      expect(after.accuracy).toBeGreaterThanOrEqual(0.8);
      expect(s.epochHistory[2].valAccuracy).toBe(after.accuracy);
      expect(after.confusion.flat().reduce((a, b) => a + b, 0)).toBe(1000);
    } finally {
      await s.close();
    }
  });
});
