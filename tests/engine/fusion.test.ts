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
import { parseGraph, type Graph } from '../../src/shared/graph';
import { flat } from '../helpers/examples';
import { chain, dag } from '../helpers/graphs';

const template = (name: string) =>
  parseGraph(JSON.parse(readFileSync(new URL(`../../resources/templates/${name}`, import.meta.url), 'utf8')), name);
const fashion3 = template('fashion-3conv.json');
const lenet5 = template('lenet5.json');
/**
 * Convolutions into ReLUs off the templates' beaten path: grouped (groups 2), strided with 'same' padding (the
 * input gradient by phases), and one whose ReLU's output a second reader shares (so it is not fused).
 */
const convs = dag(
  [
    ['input', 'input', { channels: 1, height: 28, width: 28 }],
    ['c1', 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, padding: 'same' }],
    ['r1', 'relu'],
    ['c2', 'conv2d', { filters: 4, kernelH: 3, kernelW: 3, padding: 'same', groups: 2 }],
    ['r2', 'relu'],
    ['c3', 'conv2d', { filters: 6, kernelH: 3, kernelW: 3, stride: 2, padding: 'same', bias: false }],
    ['r3', 'relu'],
    ['c4', 'conv2d', { filters: 6, kernelH: 1, kernelW: 1 }],
    ['r4', 'relu'],
    ['add', 'add'],
    ['flat', 'flatten'],
    ['out', 'dense', { units: 10 }],
  ],
  [
    ['input', 'c1'],
    ['c1', 'r1'],
    ['r1', 'c2'],
    ['c2', 'r2'],
    ['r2', 'c3'],
    ['c3', 'r3'],
    ['r3', 'c4'],
    ['c4', 'r4'],
    ['r4', 'add', 0],
    ['c3', 'add', 1],
    ['add', 'flat'],
    ['flat', 'out'],
  ],
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
function train(graph: Graph, fuse: boolean) {
  const net = new Network(graph, 5);
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

/** Training without the input gradient, as the workers train: the first convolution then skips its dx. */
function trainWithoutInputGrad(graph: Graph, fuse: boolean) {
  const net = new Network(graph, 5);
  net.fuseLayers(fuse);
  net.useWorkspace();
  const b = batch(4, 11);
  const trace = net.forward(b.x, { training: true, rng: new Rng(9) });
  const { grad, from } = computeLoss(net, trace, b, 'cross_entropy');
  net.backward(trace, grad, from, { inputGrad: false });
  return net.params.map((p) => Array.from(p.grad.data));
}

describe('which layers a training pass fuses with the ReLU after them', () => {
  it("LeNet-5's two convolutions, each with its ReLU (dense layers are not fused)", () => {
    expect(Object.fromEntries(reluFusions(compileGraph(lenet5)))).toEqual({ conv1: 'relu1', conv2: 'relu2' });
  });

  it('a grouped and a strided convolution too, but not one whose output a second node reads', () => {
    expect(Object.fromEntries(reluFusions(compileGraph(convs)))).toEqual({ c1: 'r1', c2: 'r2', c4: 'r4' });
  });

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

const cases = [
  { name: 'batch norm and ReLU (fashion-3conv)', graph: fashion3, pairs: ['bn1', 'bn2', 'bn3'] },
  { name: 'convolution and ReLU (LeNet-5)', graph: lenet5, pairs: ['conv1', 'conv2'] },
  { name: 'grouped, strided and 1×1 convolutions and ReLU', graph: convs, pairs: ['c1', 'c2', 'c4'] },
];

for (const backend of ['reference', 'wasm'] as const) {
  describe(`fused layers and ReLU, ${backend} kernels`, () => {
    afterAll(() => useKernels(referenceKernels));

    for (const { name, graph, pairs } of cases) {
      it(`${name}: trains to exactly the bits the layers give apart`, async () => {
        useKernels(backend === 'wasm' ? await createWasmKernels() : referenceKernels);
        const fused = train(graph, true);
        const apart = train(graph, false);
        // Not vacuous: the fused run did fuse, the other did not.
        expect(fused.fused).toEqual(pairs);
        expect(apart.fused).toEqual([]);
        expect(fused.losses).toEqual(apart.losses);
        expect(fused.weights).toEqual(apart.weights);
        expect(fused.grads).toEqual(apart.grads);
        expect(fused.inputGrad).toEqual(apart.inputGrad);
        // The steps moved the weights: equal because fused is right, not because nothing happened.
        expect(fused.weights).not.toEqual(flat(new Network(graph, 5).getWeights()));
        // And as the workers train, without the input's gradient.
        expect(trainWithoutInputGrad(graph, true)).toEqual(trainWithoutInputGrad(graph, false));
      });
    }

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
