import { describe, expect, it } from 'vitest';
import { TrainingPool } from '../../src/host/training';
import { loadFashion } from '../helpers/fashion';
import { chain } from '../helpers/graphs';

/** The pool learns real images: two workers, the WebAssembly kernels, fashion-mnist-small. */
describe('training on fashion-mnist-small with two workers', () => {
  it('reaches at least 0.80 test accuracy in three epochs', async () => {
    const train = loadFashion('train');
    const test = loadFashion('test');
    const s = await TrainingPool.create({
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
      threads: 2,
      optimizer: { kind: 'adam', learningRate: 0.002 },
    });
    try {
      const before = await s.evaluate(test.x, test.labels);
      const losses: number[] = [];
      for (let epoch = 0; epoch < 3; epoch++) losses.push((await s.runEpoch(train.x, train.labels, 32)).loss);
      const after = await s.evaluate(test.x, test.labels);
      console.log(
        `pool (${s.threads} threads, ${s.kernels} kernels): epoch losses ${losses.map((l) => l.toFixed(3)).join(', ')}; ` +
          `test accuracy ${before.accuracy.toFixed(3)} → ${after.accuracy.toFixed(3)}`,
      );
      expect(losses[2]).toBeLessThan(losses[0]);
      expect(after.accuracy).toBeGreaterThanOrEqual(0.8);
      expect(after.confusion.flat().reduce((a, b) => a + b, 0)).toBe(1000);
    } finally {
      await s.close();
    }
  });
});
