import { afterAll, describe, expect, it } from 'vitest';
import { Network, softmaxCrossEntropy } from '../../src/engine';
import { TrainingPool } from '../../src/host/training';
import { examples, flat } from '../helpers/examples';
import { chain } from '../helpers/graphs';
import { poolPlan } from '../helpers/plan';

/**
 * Label smoothing reaches the workers' training steps and nothing else: a step's loss is the smoothed
 * cross-entropy of the network it starts from, and an evaluation's is the plain one.
 */
const graph = chain(
  ['x', 'input', { channels: 1, height: 8, width: 8 }],
  ['c', 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, padding: 1 }],
  ['r', 'relu'],
  ['f', 'flatten'],
  ['d', 'dense', { units: 3, init: 'glorot' }],
  ['s', 'softmax'],
);
const batch = examples(16, 9);
const pools: TrainingPool[] = [];
afterAll(() => Promise.all(pools.map((p) => p.close())));

async function pool(labelSmoothing: number): Promise<TrainingPool> {
  const p = await TrainingPool.create(
    poolPlan(graph, { seed: 4, optimizer: 'sgd', learningRate: 0.5, labelSmoothing }),
    {
      threads: 2,
    },
  );
  pools.push(p);
  return p;
}

describe('label smoothing', () => {
  it('trains on the smoothed loss and reports the plain one when evaluating', async () => {
    const [plain, smoothed] = await Promise.all([pool(0), pool(0.2)]);
    const start = await smoothed.getWeights();
    expect(flat(start)).toEqual(flat(await plain.getWeights()));
    const net = new Network(graph, 4);
    net.setWeights(start);
    const logits = net.forward(batch.x).outputs.get('d')!;
    const want = softmaxCrossEntropy(logits, batch.labels, 0.2).loss;
    const wantPlain = softmaxCrossEntropy(logits, batch.labels).loss;
    expect(want).not.toBeCloseTo(wantPlain, 3);

    expect((await smoothed.evaluate(batch.x, batch.labels)).loss).toBeCloseTo(wantPlain, 5);
    expect(await smoothed.step(batch.x, batch.labels)).toBeCloseTo(want, 5);
    expect(await plain.step(batch.x, batch.labels)).toBeCloseTo(wantPlain, 5);
    // The smoothed targets pull the weights elsewhere.
    expect(flat(await smoothed.getWeights())).not.toEqual(flat(await plain.getWeights()));
  });
});
