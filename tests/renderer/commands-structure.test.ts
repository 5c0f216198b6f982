import { describe, expect, it } from 'vitest';
import { addNode, appendNode, connect, disconnect, remove } from '../../src/renderer/commands';
import { connectionProblem } from '../../src/renderer/commands/connect';
import { edgeKey } from '../../src/renderer/commands/graph-ops';
import type { EditCommand } from '../../src/renderer/commands/types';
import type { Graph } from '../../src/shared/graph';
import { chain, dag } from '../helpers/graphs';
import { deepFreeze, freshStores, json } from './setup';

const img = ['x', 'input', { channels: 1, height: 28, width: 28 }] as const;

/** Runs a command through the store, then checks that undo restores the graph exactly and redo re-applies it. */
function roundTrip<A>(graph: Graph, command: EditCommand<A>, args: A): Graph {
  const s = freshStores(deepFreeze(graph));
  const before = json(s.graph.graph);
  expect(s.graph.run(command, args)).toBeNull();
  const after = json(s.graph.graph);
  expect(after).not.toBe(before);
  expect(s.graph.undo()).toBe(true);
  expect(json(s.graph.graph)).toBe(before);
  expect(s.graph.redo()).toBe(true);
  expect(json(s.graph.graph)).toBe(after);
  return s.graph.graph;
}

describe('graph.addNode', () => {
  it('adds a layer with every parameter at its default, snapped to the grid, and selects it', () => {
    const s = freshStores();
    expect(s.graph.run(addNode, { type: 'conv2d', position: { x: 93, y: 51 } })).toBeNull();
    const [n] = s.graph.graph.nodes;
    expect(n).toEqual({
      id: 'conv2d_1',
      type: 'conv2d',
      params: { filters: 8, kernelH: 3, kernelW: 3, stride: 1, padding: 0, groups: 1, bias: true, init: 'he' },
      position: { x: 100, y: 60 },
    });
    expect(s.selection.current.nodes).toEqual(['conv2d_1']);
  });

  it('gives each new node an id not yet taken', () => {
    const s = freshStores(chain(['conv2d_1', 'conv2d']));
    s.graph.run(addNode, { type: 'conv2d', position: { x: 0, y: 0 } });
    expect(s.graph.graph.nodes.map((n) => n.id)).toEqual(['conv2d_1', 'conv2d_2']);
  });

  it('refuses an unknown layer type with its name', () => {
    const s = freshStores();
    expect(s.graph.run(addNode, { type: 'lstm', position: { x: 0, y: 0 } })).toBe("unknown layer type 'lstm'");
    expect(s.graph.graph.nodes).toHaveLength(0);
    expect(s.history.canUndo).toBe(false);
  });

  it('undoes and redoes', () => {
    roundTrip(chain([...img]), addNode, { type: 'relu', position: { x: 300, y: 0 } });
  });
});

describe('graph.appendNode', () => {
  it('wires the new layer after the given one and selects it', () => {
    const s = freshStores(chain([...img]));
    s.graph.run(appendNode, { type: 'conv2d', after: 'x' });
    expect(s.graph.graph.edges).toEqual([{ from: { node: 'x', port: 0 }, to: { node: 'conv2d_1', port: 0 } }]);
    expect(s.graph.graph.nodes[1].position).toEqual({ x: 200, y: 0 });
    expect(s.selection.current.nodes).toEqual(['conv2d_1']);
  });

  it('inserts into the middle of a chain and moves the rest one column right', () => {
    const g = chain([...img], ['c', 'conv2d'], ['p', 'maxpool2d']);
    const s = freshStores(g);
    s.graph.run(appendNode, { type: 'relu', after: 'c' });
    const edges = s.graph.graph.edges.map((e) => `${e.from.node}>${e.to.node}`);
    expect(edges.sort()).toEqual(['c>relu_1', 'relu_1>p', 'x>c']);
    const pos = Object.fromEntries(s.graph.graph.nodes.map((n) => [n.id, n.position.x]));
    expect(pos).toEqual({ x: 0, c: 160, p: 520, relu_1: 360 });
    // The shapes flow through the new layer.
    expect(s.graph.analysis.shapes.get('p')).toEqual([8, 13, 13]);
  });

  it('refuses to put an Input after anything', () => {
    const s = freshStores(chain([...img]));
    expect(s.graph.run(appendNode, { type: 'input', after: 'x' })).toBe(
      "a Input layer takes no input, so it cannot follow 'x' (Input)",
    );
  });

  it('undoes and redoes', () => {
    roundTrip(chain([...img], ['c', 'conv2d']), appendNode, { type: 'relu', after: 'x' });
  });
});

describe('edit.delete', () => {
  const g = dag(
    [[...img], ['a', 'conv2d', { padding: 'same' }], ['b', 'conv2d', { padding: 'same' }], ['sum', 'add']],
    [
      ['x', 'a'],
      ['x', 'b'],
      ['a', 'sum', 0],
      ['b', 'sum', 1],
    ],
  );

  it('removes the nodes and every edge touching them', () => {
    const s = freshStores(g);
    s.graph.run(remove, { nodes: ['x'], edges: [] });
    expect(s.graph.graph.nodes.map((n) => n.id)).toEqual(['a', 'b', 'sum']);
    expect(s.graph.graph.edges.every((e) => e.from.node !== 'x')).toBe(true);
  });

  it("renumbers a merge layer's remaining inputs from port 0", () => {
    const s = freshStores(g);
    s.graph.run(remove, { nodes: ['a'], edges: [] });
    expect(s.graph.graph.edges.find((e) => e.to.node === 'sum')).toEqual({
      from: { node: 'b', port: 0 },
      to: { node: 'sum', port: 0 },
    });
  });

  it('removes selected edges alone', () => {
    const s = freshStores(g);
    const key = edgeKey(g.edges[0]);
    s.graph.run(remove, { nodes: [], edges: [key] });
    expect(s.graph.graph.nodes).toHaveLength(4);
    expect(s.graph.graph.edges.map(edgeKey)).not.toContain(key);
  });

  it('does nothing (and records nothing) when nothing matches', () => {
    const s = freshStores(g);
    s.graph.run(remove, { nodes: ['nope'], edges: [] });
    expect(s.history.canUndo).toBe(false);
  });

  it('undoes and redoes', () => {
    roundTrip(g, remove, { nodes: ['a', 'x'], edges: [] });
  });
});

describe('graph.connect', () => {
  const parts = () => chain([...img], ['c', 'conv2d', { filters: 4, kernelH: 5, kernelW: 5 }], ['f', 'flatten']);

  it('adds the edge when the shapes fit', () => {
    const g = { ...parts(), edges: [] };
    const s = freshStores(g);
    expect(s.graph.run(connect, { from: { node: 'x', port: 0 }, to: { node: 'c', port: 0 } })).toBeNull();
    expect(s.graph.analysis.shapes.get('c')).toEqual([4, 24, 24]);
  });

  it('refuses a cycle, naming both nodes', () => {
    const s = freshStores(parts());
    const reason = s.graph.run(connect, { from: { node: 'f', port: 0 }, to: { node: 'c', port: 0 } });
    expect(reason).toBe(
      "connecting 'f' (Flatten) to 'c' (Conv2D) would make a cycle: 'c' (Conv2D) already feeds 'f' (Flatten)",
    );
    expect(s.history.canUndo).toBe(false);
  });

  it("refuses a shape mismatch with the engine's reason", () => {
    const g = chain([...img], ['f', 'flatten'], ['c', 'conv2d']);
    const s = freshStores({ ...g, edges: [g.edges[0]] });
    const reason = s.graph.run(connect, { from: { node: 'f', port: 0 }, to: { node: 'c', port: 0 } });
    expect(reason).toMatch(
      /^cannot connect 'f' \(Flatten\) to 'c' \(Conv2D\): node 'c' \(Conv2D\): Conv2D needs an image input/,
    );
    expect(s.graph.graph.edges).toHaveLength(1);
  });

  it('refuses a kernel larger than its input', () => {
    const g = chain(['x', 'input', { channels: 1, height: 4, width: 4 }], ['c', 'conv2d', { kernelH: 5, kernelW: 5 }]);
    expect(
      connectionProblem({ ...g, edges: [] }, { from: { node: 'x', port: 0 }, to: { node: 'c', port: 0 } }),
    ).toMatch(/5-pixel window is larger than the input height 4/);
  });

  it('ignores unfinished parts of the graph elsewhere (a dangling node is not a reason to refuse)', () => {
    const g = { ...parts(), edges: [] };
    g.nodes.push({ id: 'lonely', type: 'dense', params: {}, position: { x: 0, y: 300 } });
    expect(connectionProblem(g, { from: { node: 'x', port: 0 }, to: { node: 'c', port: 0 } })).toBeNull();
  });

  it('lets a merge layer take its first input before its second exists', () => {
    const g = dag([[...img], ['sum', 'add']], []);
    expect(connectionProblem(g, { from: { node: 'x', port: 0 }, to: { node: 'sum', port: 0 } })).toBeNull();
  });

  it('replaces the edge already in an input port', () => {
    const g = dag(
      [[...img], ['a', 'relu'], ['b', 'relu']],
      [
        ['x', 'a'],
        ['x', 'b'],
      ],
    );
    const s = freshStores(g);
    s.graph.run(connect, { from: { node: 'a', port: 0 }, to: { node: 'b', port: 0 } });
    expect(s.graph.graph.edges.filter((e) => e.to.node === 'b')).toEqual([
      { from: { node: 'a', port: 0 }, to: { node: 'b', port: 0 } },
    ]);
  });

  it('refuses an Input as a target and a node connected to itself', () => {
    const g = parts();
    expect(connectionProblem(g, { from: { node: 'c', port: 0 }, to: { node: 'x', port: 0 } })).toBe(
      "'x' (Input) takes no input",
    );
    expect(connectionProblem(g, { from: { node: 'c', port: 0 }, to: { node: 'c', port: 0 } })).toBe(
      "cannot connect 'c' (Conv2D) to itself",
    );
  });

  it('undoes and redoes', () => {
    roundTrip({ ...parts(), edges: [] }, connect, { from: { node: 'x', port: 0 }, to: { node: 'c', port: 0 } });
  });
});

describe('graph.disconnect', () => {
  it('removes the edge and renumbers the ports left', () => {
    const g = dag(
      [[...img], ['a', 'relu'], ['b', 'relu'], ['cat', 'concat']],
      [
        ['x', 'a'],
        ['x', 'b'],
        ['a', 'cat', 0],
        ['b', 'cat', 1],
      ],
    );
    const s = freshStores(g);
    s.graph.run(disconnect, { edge: 'a:0>cat:0' });
    expect(s.graph.graph.edges.filter((e) => e.to.node === 'cat')).toEqual([
      { from: { node: 'b', port: 0 }, to: { node: 'cat', port: 0 } },
    ]);
  });

  it('refuses an edge that is not there', () => {
    const s = freshStores(chain([...img], ['r', 'relu']));
    expect(s.graph.run(disconnect, { edge: 'r:0>x:0' })).toBe('there is no edge r:0>x:0');
  });

  it('undoes and redoes', () => {
    roundTrip(chain([...img], ['r', 'relu']), disconnect, { edge: 'x:0>r:0' });
  });
});
