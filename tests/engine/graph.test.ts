import { describe, expect, it } from 'vitest';
import { analyseGraph, compileGraph, GraphError, Network } from '../../src/engine';
import { parseGraph, SchemaError } from '../../src/shared/graph';
import { chain, dag } from '../helpers/graphs';

/** ../shared/design/RELIABILITY.md case 7 and the graph file cases of case 9: each bad graph gives its clear error. */

const img = ['x', 'input', { channels: 1, height: 28, width: 28 }] as const;

function compileError(g: ReturnType<typeof chain>): GraphError {
  try {
    compileGraph(g);
  } catch (e) {
    expect(e).toBeInstanceOf(GraphError);
    return e as GraphError;
  }
  throw new Error('the graph compiled');
}

describe('bad graphs give an error that names the node', () => {
  it('shape mismatch: Add of 8×28×28 and 4×28×28', () => {
    const g = dag(
      [
        [...img],
        ['a', 'conv2d', { filters: 8, padding: 'same' }],
        ['b', 'conv2d', { filters: 4, padding: 'same' }],
        ['sum', 'add'],
      ],
      [
        ['x', 'a'],
        ['x', 'b'],
        ['a', 'sum', 0],
        ['b', 'sum', 1],
      ],
    );
    const e = compileError(g);
    expect(e.nodeId).toBe('sum');
    expect(e.message).toMatch(
      /node 'sum' \(Add\): Add needs inputs of one shape: input 1 is \[8×28×28\], input 2 is \[4×28×28\]/,
    );
  });

  it('shape mismatch: Dense straight after a convolution', () => {
    const e = compileError(chain([...img], ['c', 'conv2d'], ['d', 'dense']));
    expect(e.nodeId).toBe('d');
    expect(e.message).toMatch(/Dense needs a flat vector input, got \[8×26×26\]; add a Flatten/);
  });

  it('a cycle', () => {
    const g = dag(
      [[...img], ['a', 'conv2d', { padding: 1 }], ['b', 'add'], ['c', 'relu'], ['out', 'flatten']],
      [
        ['x', 'a'],
        ['a', 'b', 0],
        ['c', 'b', 1],
        ['b', 'c'],
        ['c', 'out'],
      ],
    );
    const e = compileError(g);
    expect(e.message).toMatch(/is part of a cycle/);
    expect(['b', 'c']).toContain(e.nodeId);
  });

  it('a node with no input', () => {
    const g = chain([...img], ['c', 'conv2d']);
    g.nodes.push({ id: 'lonely', type: 'relu', params: {}, position: { x: 0, y: 0 } });
    const a = analyseGraph(g);
    expect(a.errors.get('lonely')).toMatch(/node 'lonely' \(ReLU\): has no input; connect a layer to it or delete it/);
    expect(a.compiled).toBeNull();
  });

  it('a kernel larger than its input', () => {
    const e = compileError(
      chain(['x', 'input', { channels: 1, height: 4, width: 4 }], ['big', 'conv2d', { kernelH: 5, kernelW: 5 }]),
    );
    expect(e.nodeId).toBe('big');
    expect(e.message).toMatch(/the 5-pixel window is larger than the input height 4/);
  });

  it('stride 0', () => {
    const e = compileError(chain([...img], ['s0', 'conv2d', { stride: 0 }]));
    expect(e.nodeId).toBe('s0');
    expect(e.message).toMatch(/parameter 'stride' is 0: expected a whole number from 1 to 64/);
  });

  it('an output size that is not a whole number is floored, with a notice naming the rows dropped', () => {
    const g = chain([...img], ['c', 'conv2d', { kernelH: 5, kernelW: 5, stride: 2 }]);
    const a = analyseGraph(g);
    expect(a.compiled?.byId.get('c')?.outShape).toEqual([8, 12, 12]);
    expect(a.errors.size).toBe(0);
    expect(a.notices.get('c')).toMatch(
      /node 'c' \(Conv2D\): output height floor\(\(28 \+ 2×0 − 5\)\/2\) \+ 1 = 12.*the last 1 row and the last 1 column of the input/,
    );
  });

  it('no Input node, and two Input nodes', () => {
    expect(() => compileGraph(chain(['r', 'relu']))).toThrow(/has no input/);
    const a = analyseGraph(chain(['r', 'relu']));
    expect(a.problems).toContain('the graph has no Input node; add one from the palette');
    const two = dag(
      [[...img], ['y', 'input'], ['s', 'add']],
      [
        ['x', 's', 0],
        ['y', 's', 1],
      ],
    );
    expect(analyseGraph(two).problems.join()).toMatch(/2 Input nodes \(x, y\)/);
  });

  it('a dangling branch that leads nowhere', () => {
    const g = dag(
      [[...img], ['c', 'conv2d'], ['r', 'relu'], ['dead', 'tanh']],
      [
        ['x', 'c'],
        ['c', 'r'],
        ['c', 'dead'],
      ],
    );
    const a = analyseGraph(g);
    expect(a.errors.get('dead')).toMatch(/leads nowhere/);
    expect(a.problems.join()).toMatch(/2 ends \(r, dead\)/);
  });

  it('an unknown layer type and an unknown parameter', () => {
    expect(compileError(chain([...img], ['q', 'quantum'])).message).toMatch(
      /node 'q' \(quantum\): unknown layer type 'quantum'/,
    );
    expect(compileError(chain([...img], ['c', 'conv2d', { filtrs: 3 }])).message).toMatch(
      /unknown parameter 'filtrs' for Conv2D/,
    );
  });

  it('analysis keeps the shapes of the good part while marking the bad node', () => {
    const a = analyseGraph(chain([...img], ['c', 'conv2d', { filters: 4 }], ['d', 'dense']));
    expect(a.shapes.get('c')).toEqual([4, 26, 26]);
    expect(a.errors.has('d')).toBe(true);
    expect(a.shapes.has('d')).toBe(false);
  });
});

describe('graphs that branch and join', () => {
  it('a residual block compiles, infers shapes and sums gradients at the fork', () => {
    const g = dag(
      [
        [...img],
        ['c1', 'conv2d', { filters: 4, padding: 'same' }],
        ['r1', 'relu'],
        ['c2', 'conv2d', { filters: 4, padding: 'same' }],
        ['sum', 'add'],
        ['r2', 'relu'],
        ['cat', 'concat'],
        ['f', 'flatten'],
        ['d', 'dense', { units: 3 }],
      ],
      [
        ['x', 'c1'],
        ['c1', 'r1'],
        ['r1', 'c2'],
        ['c2', 'sum', 0],
        ['r1', 'sum', 1],
        ['sum', 'r2'],
        ['r2', 'cat', 0],
        ['r1', 'cat', 1],
        ['cat', 'f'],
        ['f', 'd'],
      ],
    );
    const net = new Network(g, 5);
    expect(net.node('cat').outShape).toEqual([8, 28, 28]);
    expect(net.graph.outputId).toBe('d');
  });
});

describe('graph files are validated by the shared schema', () => {
  const good = chain([...img], ['c', 'conv2d']);

  it('a valid graph parses', () => {
    expect(parseGraph(JSON.parse(JSON.stringify(good))).nodes).toHaveLength(2);
  });

  it('a future version is refused with the reason', () => {
    expect(() => parseGraph({ ...good, version: 99 })).toThrow(/made by a newer Convas/);
  });

  it('__proto__ keys in params are refused', () => {
    const hostile = JSON.parse(JSON.stringify(good).replace('"params":{}', '"params":{"__proto__":{"polluted":true}}'));
    expect(() => parseGraph(hostile)).toThrow(SchemaError);
    expect(() => parseGraph(hostile)).toThrow(/the key \$\.nodes\[1\]\.params\.__proto__ is not allowed/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('unknown fields, bad ids and missing positions are refused, naming the path', () => {
    expect(() => parseGraph({ ...good, extra: 1 })).toThrow(/extra/);
    const badId = structuredClone(good);
    badId.nodes[0].id = '../etc';
    expect(() => parseGraph(badId)).toThrow(/nodes\[0\]\.id|nodes\.0\.id/);
    const noPos = structuredClone(good) as unknown as { nodes: { position?: unknown }[] };
    delete noPos.nodes[1].position;
    expect(() => parseGraph(noPos)).toThrow(/position/);
  });
});
