import type { Graph, GraphNode } from '../../src/shared/graph';

type NodeSpec = [id: string, type: string, params?: GraphNode['params']];

/** A chain graph from a list of [id, type, params]: each node feeds the next. */
export function chain(...specs: NodeSpec[]): Graph {
  return {
    format: 'convas-graph',
    version: 1,
    nodes: specs.map(([id, type, params = {}], i) => ({ id, type, params, position: { x: i * 160, y: 0 } })),
    edges: specs.slice(1).map(([id], i) => ({ from: { node: specs[i][0], port: 0 }, to: { node: id, port: 0 } })),
  };
}

/** A graph from nodes and explicit edges [from, to, toPort]. */
export function dag(specs: NodeSpec[], edges: [string, string, number?][]): Graph {
  return {
    format: 'convas-graph',
    version: 1,
    nodes: specs.map(([id, type, params = {}], i) => ({ id, type, params, position: { x: i * 160, y: 0 } })),
    edges: edges.map(([from, to, port = 0]) => ({ from: { node: from, port: 0 }, to: { node: to, port } })),
  };
}

/** Flatten and one dense layer over examples()' 1×8×8 images and 3 classes: the sessions' smallest trainable net. */
export const linearClassifier = (): Graph =>
  chain(
    ['x', 'input', { channels: 1, height: 8, width: 8 }],
    ['f', 'flatten'],
    ['d', 'dense', { units: 3, init: 'glorot' }],
  );
