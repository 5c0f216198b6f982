import { readFileSync } from 'node:fs';
import { parseGraph, type Graph, type GraphNode } from '../src/shared/graph';

/**
 * The four graphs `npm run bench` trains and runs: the two templates users start from, an MLP and a VGG-style net
 * on 32×32×3 images (kept here, not among the templates). Each comes with its input shape and class count.
 */
export const GRAPHS = ['lenet5', 'fashion-2conv', 'mlp', 'vgg'] as const;
export type GraphName = (typeof GRAPHS)[number];

export interface BenchGraph {
  name: GraphName;
  graph: Graph;
  input: { channels: number; height: number; width: number };
  classes: number;
}

function template(file: string): Graph {
  const url = new URL(`../resources/templates/${file}`, import.meta.url);
  return parseGraph(JSON.parse(readFileSync(url, 'utf8')), file);
}

/** A chain of layers, each fed by the one before it. */
function chain(name: string, specs: [string, string, GraphNode['params']][]): Graph {
  return {
    format: 'convas-graph',
    version: 1,
    name,
    nodes: specs.map(([id, type, params], i) => ({ id, type, params, position: { x: i * 160, y: 0 } })),
    edges: specs.slice(1).map(([id], i) => ({ from: { node: specs[i][0], port: 0 }, to: { node: id, port: 0 } })),
  };
}

const MNIST = { channels: 1, height: 28, width: 28 };

export function benchGraph(name: GraphName): BenchGraph {
  switch (name) {
    case 'lenet5':
      return { name, graph: template('lenet5.json'), input: MNIST, classes: 10 };
    case 'fashion-2conv':
      return { name, graph: template('fashion-2conv.json'), input: MNIST, classes: 10 };
    case 'mlp':
      return {
        name,
        input: MNIST,
        classes: 10,
        graph: chain('MLP 784-256-10', [
          ['input', 'input', MNIST],
          ['flatten', 'flatten', {}],
          ['fc1', 'dense', { units: 256 }],
          ['relu1', 'relu', {}],
          ['fc2', 'dense', { units: 10, init: 'glorot' }],
          ['softmax', 'softmax', {}],
        ]),
      };
    case 'vgg': {
      const conv = (filters: number) => ({ filters, kernelH: 3, kernelW: 3, padding: 'same' as const });
      const input = { channels: 3, height: 32, width: 32 };
      return {
        name,
        input,
        classes: 10,
        graph: chain('VGG-style 32×32×3', [
          ['input', 'input', input],
          ['conv1', 'conv2d', conv(32)],
          ['relu1', 'relu', {}],
          ['conv2', 'conv2d', conv(32)],
          ['relu2', 'relu', {}],
          ['pool1', 'maxpool2d', { size: 2, stride: 2 }],
          ['conv3', 'conv2d', conv(64)],
          ['relu3', 'relu', {}],
          ['conv4', 'conv2d', conv(64)],
          ['relu4', 'relu', {}],
          ['pool2', 'maxpool2d', { size: 2, stride: 2 }],
          ['flatten', 'flatten', {}],
          ['fc1', 'dense', { units: 128 }],
          ['relu5', 'relu', {}],
          ['fc2', 'dense', { units: 10, init: 'glorot' }],
          ['softmax', 'softmax', {}],
        ]),
      };
    }
  }
}
