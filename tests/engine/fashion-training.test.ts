import { describe, expect, it } from 'vitest';
import { evaluate, Network, Trainer } from '../../src/engine';
import { chain } from '../helpers/graphs';
import { loadFashion } from '../helpers/fashion';

/**
 * The engine learns real images: a small CNN trained for a few epochs on the 5,000 training PNGs of
 * fashion-mnist-small reaches at least 0.80 accuracy on its 1,000 test PNGs.
 */
describe('training a small CNN on fashion-mnist-small', () => {
  it('reaches at least 0.80 test accuracy in three epochs', () => {
    const train = loadFashion('train');
    const test = loadFashion('test');
    expect(train.labels.length).toBe(5000);
    expect(test.labels.length).toBe(1000);
    const net = new Network(
      chain(
        ['x', 'input', { channels: 1, height: 28, width: 28 }],
        ['conv1', 'conv2d', { filters: 8, kernelH: 5, kernelW: 5 }],
        ['relu1', 'relu'],
        ['pool1', 'maxpool2d', { size: 2, stride: 2 }],
        ['flat', 'flatten'],
        ['fc', 'dense', { units: 10, init: 'glorot' }],
        ['probs', 'softmax'],
      ),
      1,
    );
    const trainer = new Trainer(net, { kind: 'adam', learningRate: 0.002 }, 'cross_entropy', 1);
    const before = evaluate(net, test);
    const losses: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) losses.push(trainer.epoch(train, 32));
    const after = evaluate(net, test);
    console.log(
      `fashion-mnist-small: epoch losses ${losses.map((l) => l.toFixed(3)).join(', ')}; test accuracy ${before.accuracy.toFixed(3)} → ${after.accuracy.toFixed(3)}`,
    );
    expect(losses[2]).toBeLessThan(losses[0]);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.8);
    // The confusion matrix accounts for every test image.
    expect(after.confusion.flat().reduce((a, b) => a + b, 0)).toBe(1000);
  });
});
