import type { Graph, GraphNode } from '../src/shared/graph';

/** Images and classes of the benchmark's data: Fashion-MNIST-sized, 28×28 grayscale, ten classes. */
export const IMAGE = { channels: 1, height: 28, width: 28 } as const;
export const CLASSES = 10;
export const BATCH = 32;

/**
 * LeNet-5 as the issue specifies it: conv 6@5×5 padding 2, ReLU, max-pool 2; conv 16@5×5, ReLU, max-pool 2;
 * dense 120 ReLU; dense 84 ReLU; dense 10; softmax cross-entropy (the loss fuses the softmax).
 */
export function lenetGraph(): Graph {
  const specs: [string, string, GraphNode['params']][] = [
    ['input', 'input', { ...IMAGE }],
    ['conv1', 'conv2d', { filters: 6, kernelH: 5, kernelW: 5, padding: 2 }],
    ['relu1', 'relu', {}],
    ['pool1', 'maxpool2d', { size: 2, stride: 2 }],
    ['conv2', 'conv2d', { filters: 16, kernelH: 5, kernelW: 5 }],
    ['relu2', 'relu', {}],
    ['pool2', 'maxpool2d', { size: 2, stride: 2 }],
    ['flat', 'flatten', {}],
    ['fc1', 'dense', { units: 120 }],
    ['relu3', 'relu', {}],
    ['fc2', 'dense', { units: 84 }],
    ['relu4', 'relu', {}],
    ['fc3', 'dense', { units: CLASSES, init: 'glorot' }],
    ['probs', 'softmax', {}],
  ];
  return {
    format: 'convas-graph',
    version: 1,
    name: 'LeNet-5',
    nodes: specs.map(([id, type, params], i) => ({ id, type, params, position: { x: i * 160, y: 0 } })),
    edges: specs.slice(1).map(([id], i) => ({ from: { node: specs[i][0], port: 0 }, to: { node: id, port: 0 } })),
  };
}
