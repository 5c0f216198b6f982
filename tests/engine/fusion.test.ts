import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  compileGraph,
  computeLoss,
  createOptimizer,
  Network,
  referenceKernels,
  Rng,
  tensor,
  useKernels,
  type Tensor,
} from '../../src/engine';
import { reluFusions } from '../../src/engine/fusion';
import { createWasmKernels } from '../../src/engine/kernels/wasm';
import { parseGraph } from '../../src/shared/graph';
import { flat } from '../helpers/examples';
import { chain, dag } from '../helpers/graphs';

const fashion3 = parseGraph(
  JSON.parse(readFileSync(new URL('../../resources/templates/fashion-3conv.json', import.meta.url), 'utf8')),
  'fashion-3conv.json',
);

/** A small image batch of 28×28 noise (odd-sized planes reach the kernels' scalar tails too). */
function batch(n: number, seed: number): { x: Tensor; labels: Int32Array } {
  const rng = new Rng(seed);
  const x = tensor([n, 1, 28, 28]);
  for (let i = 0; i < x.data.length; i++) x.data[i] = rng.normal();
  return { x, labels: Int32Array.from({ length: n }, () => rng.int(10)) };
}

/**
 * Three Adam steps on a recycling network, fused or not: the losses, every weight after the steps, and the last
 * step's weight and input gradients, as plain numbers for exact comparison.
 */
function train(fuse: boolean) {
  const net = new Network(fashion3, 5);
  net.fuseLayers(fuse);
  net.useWorkspace();
  const optimizer = createOptimizer({ kind: 'adam', learningRate: 0.01 });
  const losses: number[] = [];
  let inputGrad: number[] = [];
  let fused: string[] = [];
  for (let step = 0; step < 3; step++) {
    const b = batch(3, step + 1);
    net.zeroGrads();
    const trace = net.forward(b.x, { training: true, rng: new Rng(9) });
    fused = [...(trace.fused?.keys() ?? [])];
    const { loss, grad, from } = computeLoss(net, trace, b, 'cross_entropy', 0.1);
    losses.push(loss);
    inputGrad = Array.from(net.backward(trace, grad, from)!.data);
    optimizer.step(net.params);
  }
  const grads = net.params.map((p) => Array.from(p.grad.data));
  return { losses, weights: flat(net.getWeights()), grads, inputGrad, fused };
}

describe('which layers a training pass fuses with the ReLU after them', () => {
  it("fashion-3conv's three batch norms, each with its ReLU", () => {
    expect(Object.fromEntries(reluFusions(compileGraph(fashion3)))).toEqual({
      bn1: 'relu1',
      bn2: 'relu2',
      bn3: 'relu3',
    });
  });

  it('not a batch norm whose output another node reads too, nor one before another activation', () => {
    const branch = dag(
      [
        ['input', 'input', { channels: 2, height: 4, width: 4 }],
        ['bn', 'batchnorm'],
        ['relu', 'relu'],
        ['add', 'add'],
        ['flat', 'flatten'],
      ],
      [
        ['input', 'bn'],
        ['bn', 'relu'],
        ['relu', 'add', 0],
        ['bn', 'add', 1],
        ['add', 'flat'],
      ],
    );
    expect(reluFusions(compileGraph(branch)).size).toBe(0);
    const leaky = chain(
      ['input', 'input', { channels: 2, height: 4, width: 4 }],
      ['bn', 'batchnorm'],
      ['act', 'leaky_relu'],
    );
    expect(reluFusions(compileGraph(leaky)).size).toBe(0);
  });
});

for (const backend of ['reference', 'wasm'] as const) {
  describe(`fused batch norm and ReLU, ${backend} kernels`, () => {
    afterAll(() => useKernels(referenceKernels));

    it('trains to exactly the bits the two layers give apart', async () => {
      useKernels(backend === 'wasm' ? await createWasmKernels() : referenceKernels);
      const fused = train(true);
      const apart = train(false);
      // Not vacuous: the fused run did fuse, the other did not.
      expect(fused.fused).toEqual(['bn1', 'bn2', 'bn3']);
      expect(apart.fused).toEqual([]);
      expect(fused.losses).toEqual(apart.losses);
      expect(fused.weights).toEqual(apart.weights);
      expect(fused.grads).toEqual(apart.grads);
      expect(fused.inputGrad).toEqual(apart.inputGrad);
      // The steps moved the weights: equal because fused is right, not because nothing happened.
      expect(fused.weights).not.toEqual(flat(new Network(fashion3, 5).getWeights()));
    });

    it('keeps every output in inference passes, and the batch norm output a pass stops at', async () => {
      useKernels(backend === 'wasm' ? await createWasmKernels() : referenceKernels);
      const net = new Network(fashion3, 5);
      const { x } = batch(2, 7);
      const inference = net.forward(x);
      expect(inference.fused).toBeUndefined();
      expect(inference.outputs.has('bn1')).toBe(true);
      // Stopping at bn1 in training gives batch norm's own output, negative values included, not the ReLU's.
      const bn1 = net.forward(x, { training: true, rng: new Rng(1), until: 'bn1' }).outputs.get('bn1')!;
      expect(bn1.data.some((v) => v < 0)).toBe(true);
      net.fuseLayers(false);
      const apart = net.forward(x, { training: true, rng: new Rng(1), until: 'bn1' }).outputs.get('bn1')!;
      expect(Array.from(bn1.data)).toEqual(Array.from(apart.data));
    });
  });
}
