import { expect } from 'vitest';
import { gather, Network, tensor, Trainer, type Examples, type NamedWeights, type Tensor } from '../../src/engine';
import type { Graph } from '../../src/shared/graph';
import { loadFashion } from '../helpers/fashion';
import { chain, dag } from '../helpers/graphs';

/**
 * The networks every format test exports: each layer type and padding case appears at least once, with
 * weights trained for a few steps on Fashion-MNIST (realistic, not symmetric) and batch-norm running
 * statistics moved away from 0 and 1 by those steps.
 */

const img = { channels: 1, height: 28, width: 28 };

/** LeNet-like: 'same' and asymmetric 'same' padding (stride 2 on 14×14), batch norm on maps and on vectors, every activation. */
export const lenet: Graph = {
  ...chain(
    ['image', 'input', img],
    ['conv1', 'conv2d', { filters: 6, kernelH: 3, kernelW: 3, padding: 'same' }],
    ['bn1', 'batchnorm'],
    ['relu1', 'relu'],
    ['pool1', 'maxpool2d', { size: 2, stride: 2 }],
    ['conv2', 'conv2d', { filters: 8, kernelH: 3, kernelW: 3, stride: 2, padding: 'same', init: 'glorot' }],
    ['leaky', 'leaky_relu', { slope: 0.1 }],
    ['pool2', 'avgpool2d', { size: 3, stride: 1, padding: 1 }],
    ['flat', 'flatten'],
    ['drop', 'dropout', { rate: 0.3 }],
    ['fc1', 'dense', { units: 24 }],
    ['bn2', 'batchnorm', { momentum: 0.2, epsilon: 0.001 }],
    ['sig', 'sigmoid'],
    ['fc2', 'dense', { units: 16, bias: false }],
    ['tanh', 'tanh'],
    ['fc3', 'dense', { units: 10, init: 'glorot' }],
    ['probs', 'softmax'],
  ),
  name: 'LeNet-ish',
};

/** A residual block: the skip joins an Add after a padded conv, a 'same' conv and batch norm. */
export const residual: Graph = {
  ...dag(
    [
      ['x', 'input', img],
      ['stem', 'conv2d', { filters: 6, kernelH: 3, kernelW: 3, padding: 1 }],
      ['stem-relu', 'relu'],
      ['res-conv', 'conv2d', { filters: 6, kernelH: 3, kernelW: 3, padding: 'same', bias: false }],
      ['res-bn', 'batchnorm'],
      ['join', 'add'],
      ['join-relu', 'relu'],
      ['pool', 'maxpool2d', { size: 4, stride: 4 }],
      ['flat', 'flatten'],
      ['out', 'dense', { units: 10 }],
      ['softmax', 'softmax'],
    ],
    [
      ['x', 'stem'],
      ['stem', 'stem-relu'],
      ['stem-relu', 'res-conv'],
      ['res-conv', 'res-bn'],
      ['stem-relu', 'join', 0],
      ['res-bn', 'join', 1],
      ['join', 'join-relu'],
      ['join-relu', 'pool'],
      ['pool', 'flat'],
      ['flat', 'out'],
      ['out', 'softmax'],
    ],
  ),
  name: 'residual',
};

/** Inception-like branches joined by Concat on maps, then two dense branches joined by Concat on vectors. */
export const branches: Graph = {
  ...dag(
    [
      ['in', 'input', img],
      ['a', 'conv2d', { filters: 3, kernelH: 1, kernelW: 1 }],
      ['b', 'conv2d', { filters: 4, kernelH: 5, kernelW: 5, padding: 2 }],
      ['c', 'maxpool2d', { size: 3, stride: 1, padding: 1 }],
      ['maps', 'concat'],
      ['maps-relu', 'relu'],
      ['down', 'avgpool2d', { size: 4, stride: 4 }],
      ['flat', 'flatten'],
      ['d1', 'dense', { units: 12 }],
      ['d2', 'dense', { units: 6 }],
      ['features', 'concat'],
      ['head', 'dense', { units: 10 }],
      ['p', 'softmax'],
    ],
    [
      ['in', 'a'],
      ['in', 'b'],
      ['in', 'c'],
      ['a', 'maps', 0],
      ['b', 'maps', 1],
      ['c', 'maps', 2],
      ['maps', 'maps-relu'],
      ['maps-relu', 'down'],
      ['down', 'flat'],
      ['flat', 'd1'],
      ['flat', 'd2'],
      ['d1', 'features', 0],
      ['d2', 'features', 1],
      ['features', 'head'],
      ['head', 'p'],
    ],
  ),
  name: 'branches',
};

/** A multilayer perceptron on flat vectors (the input layer's vector mode); it ends without softmax. */
export const mlp: Graph = {
  ...chain(
    ['pixels', 'input', { ...img, vector: true }],
    ['hidden', 'dense', { units: 32 }],
    ['hidden-bn', 'batchnorm'],
    ['act', 'relu'],
    ['scores', 'dense', { units: 10, init: 'glorot' }],
  ),
  name: 'mlp',
};

export const GRAPHS = { lenet, residual, branches, mlp } as const;

let train: Examples | null = null;
let test: Examples | null = null;

/** 200 training images (20 per class) and `count` test images, 28×28 in [0, 1]. */
export function data(count = 200): { train: Examples; test: Examples } {
  train ??= loadFashion('train', 20);
  test ??= loadFashion('test', 20);
  const idx = Int32Array.from({ length: Math.min(count, test.labels.length) }, (_, i) => i);
  return { train, test: gather(test, idx) };
}

/** The same images as flat vectors, for the MLP. */
export function flat(x: Tensor): Tensor {
  return tensor([x.shape[0], x.shape.slice(1).reduce((a, b) => a * b, 1)], x.data);
}

/** The input a graph takes for these images: NCHW, or flat for a vector input. */
export function inputFor(graph: Graph, x: Tensor): Tensor {
  return graph.nodes.some((n) => n.type === 'input' && n.params.vector === true) ? flat(x) : x;
}

/** A network of `graph` trained for `steps` Adam steps of 16 images, so that its weights and running statistics are realistic. */
export function trained(graph: Graph, steps = 8): Network {
  const net = new Network(graph, 7);
  const trainer = new Trainer(net, { kind: 'adam', learningRate: 0.003 }, 'cross_entropy', 7);
  const { train } = data();
  for (let s = 0; s < steps; s++) {
    const idx = Int32Array.from({ length: 16 }, (_, i) => (s * 37 + i * 11) % train.labels.length);
    const batch = gather(train, idx);
    trainer.step({ ...batch, x: inputFor(graph, batch.x) });
  }
  return net;
}

const nets = new Map<Graph, Network>();
const refs = new Map<string, { net: Network; weights: NamedWeights; x: Tensor; want: Tensor }>();

/** Trained weights and engine predictions on the first `count` test images, per graph (trained once per test file). */
export function reference(graph: Graph, count = 200): { net: Network; weights: NamedWeights; x: Tensor; want: Tensor } {
  let net = nets.get(graph);
  if (!net) nets.set(graph, (net = trained(graph)));
  const key = `${graph.name}:${count}`;
  let r = refs.get(key);
  if (!r) {
    const x = inputFor(graph, data(count).test.x);
    refs.set(key, (r = { net, weights: net.getWeights(), x, want: net.predict(x) }));
  }
  return r;
}

/** |got − want| ≤ tol for every element, reporting the worst element when it fails. */
export function expectAllClose(got: ArrayLike<number>, want: Tensor, tol: number, what: string): number {
  expect(got.length, `${what}: number of values`).toBe(want.data.length);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.abs(got[i] - want.data[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  expect(worst, `${what}: worst difference at index ${at} (got ${got[at]}, want ${want.data[at]})`).toBeLessThanOrEqual(
    tol,
  );
  return worst;
}

/** NCHW → NHWC for a batch of images (TF.js takes channels last). */
export function toNhwc(x: Tensor): Float32Array {
  const [n, c, h, w] = x.shape;
  const out = new Float32Array(x.data.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++) out[((b * h + y) * w + xx) * c + ch] = x.data[((b * c + ch) * h + y) * w + xx];
  return out;
}
