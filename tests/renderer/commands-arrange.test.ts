import { afterEach, describe, expect, it, vi } from 'vitest';
import { autoLayout, moveNodes, nudge } from '../../src/renderer/commands';
import { layoutPositions } from '../../src/renderer/commands/auto-layout';
import { NODE_WIDTH } from '../../src/renderer/editor/canvas/geometry';
import { dag } from '../helpers/graphs';
import { chain } from '../helpers/graphs';
import { deepFreeze, freshStores, json } from './setup';

afterEach(() => vi.useRealTimers());

const img = ['x', 'input', { channels: 1, height: 28, width: 28 }] as const;

describe('graph.moveNodes', () => {
  it('puts nodes where asked and leaves the others as they were (same objects)', () => {
    const g = deepFreeze(chain([...img], ['r', 'relu']));
    const s = freshStores(g);
    s.graph.run(moveNodes, { positions: { r: { x: 400, y: 80 } } });
    expect(s.graph.graph.nodes[1].position).toEqual({ x: 400, y: 80 });
    expect(s.graph.graph.nodes[0]).toBe(g.nodes[0]);
  });

  it('refuses a node that does not exist and a position that is not a number', () => {
    const s = freshStores(chain([...img]));
    expect(s.graph.run(moveNodes, { positions: { ghost: { x: 0, y: 0 } } })).toBe("there is no node 'ghost'");
    expect(s.graph.run(moveNodes, { positions: { x: { x: NaN, y: 0 } } })).toBe("cannot move 'x' to (NaN, 0)");
  });

  it('makes a whole drag one undo step, and a second drag another', () => {
    vi.useFakeTimers();
    const s = freshStores(chain([...img]));
    const start = json(s.graph.graph);
    for (let i = 1; i <= 30; i++) {
      s.graph.run(moveNodes, { positions: { x: { x: i * 10, y: 0 } }, gesture: 'drag1' });
      vi.advanceTimersByTime(16);
    }
    s.history.seal(); // pointer up
    const afterFirst = json(s.graph.graph);
    s.graph.run(moveNodes, { positions: { x: { x: 0, y: 200 } }, gesture: 'drag2' });
    expect(s.history.depth).toBe(2);
    s.graph.undo();
    expect(json(s.graph.graph)).toBe(afterFirst);
    s.graph.undo();
    expect(json(s.graph.graph)).toBe(start);
    s.graph.redo();
    expect(json(s.graph.graph)).toBe(afterFirst);
  });
});

describe('arrange.nudge', () => {
  it('takes its step from the arrow key and the selection, five grid steps with Shift', () => {
    const s = freshStores(chain([...img]));
    s.selection.set({ nodes: ['x'], edges: [] });
    const chord = { key: 'ArrowLeft', shiftKey: false, ctrlKey: false, metaKey: false, altKey: false };
    expect(nudge.argsFrom!(s.editor.context, chord)).toEqual({ ids: ['x'], dx: -20, dy: 0 });
    expect(nudge.argsFrom!(s.editor.context, { ...chord, key: 'ArrowDown', shiftKey: true })).toEqual({
      ids: ['x'],
      dx: 0,
      dy: 100,
    });
    s.selection.clear();
    expect(nudge.argsFrom!(s.editor.context, chord)).toBeNull();
  });

  it('makes a run of presses one undo step', () => {
    vi.useFakeTimers();
    const s = freshStores(chain([...img]));
    const start = json(s.graph.graph);
    for (let i = 0; i < 5; i++) {
      s.graph.run(nudge, { ids: ['x'], dx: 20, dy: 0 });
      vi.advanceTimersByTime(100);
    }
    expect(s.graph.graph.nodes[0].position).toEqual({ x: 100, y: 0 });
    expect(s.history.depth).toBe(1);
    s.graph.undo();
    expect(json(s.graph.graph)).toBe(start);
    s.graph.redo();
    expect(s.graph.graph.nodes[0].position).toEqual({ x: 100, y: 0 });
  });

  it('starts a new step after a pause', () => {
    vi.useFakeTimers();
    const s = freshStores(chain([...img]));
    s.graph.run(nudge, { ids: ['x'], dx: 20, dy: 0 });
    vi.advanceTimersByTime(5000);
    s.graph.run(nudge, { ids: ['x'], dx: 20, dy: 0 });
    expect(s.history.depth).toBe(2);
  });
});

describe('arrange.autoLayout', () => {
  it('puts a chain in one row, one column per depth, keeping its top-left corner', () => {
    const g = chain([...img], ['c', 'conv2d'], ['r', 'relu']);
    g.nodes[0].position = { x: 100, y: 40 };
    g.nodes[1].position = { x: 0, y: 400 };
    g.nodes[2].position = { x: 700, y: 200 };
    const pos = layoutPositions(g);
    expect(Object.fromEntries(pos)).toEqual({
      x: { x: 0, y: 40 },
      c: { x: 240, y: 40 },
      r: { x: 480, y: 40 },
    });
  });

  it('gives a branch its own row and puts a join after both branches', () => {
    const g = dag(
      [[...img], ['a', 'relu'], ['b1', 'relu'], ['b2', 'relu'], ['sum', 'add']],
      [
        ['x', 'a'],
        ['x', 'b1'],
        ['b1', 'b2'],
        ['a', 'sum', 0],
        ['b2', 'sum', 1],
      ],
    );
    g.nodes.forEach((n) => (n.position = { x: 0, y: 0 }));
    const pos = layoutPositions(g);
    // Depth is the longest path: the join comes after the longer branch.
    expect(pos.get('sum')!.x).toBe(720);
    expect(pos.get('b2')!.x).toBe(480);
    expect(pos.get('a')!.x).toBe(240);
    expect(pos.get('a')!.y).not.toBe(pos.get('b1')!.y);
    // Every edge points to the right.
    for (const e of g.edges) expect(pos.get(e.to.node)!.x).toBeGreaterThan(pos.get(e.from.node)!.x);
  });

  it('wraps a long network into rows that fill a landscape window, edges long enough to click', () => {
    const names = Array.from({ length: 14 }, (_, i): [string, string] => [`r${i}`, 'relu']);
    const g = chain([...img], ...names);
    const pos = layoutPositions(g);
    const ys = [...new Set([...pos.values()].map((p) => p.y))].sort((a, b) => a - b);
    const xs = [...new Set([...pos.values()].map((p) => p.x))];
    // 15 layers: four rows of four rather than one row of fifteen.
    expect(ys).toHaveLength(4);
    expect(xs).toHaveLength(4);
    for (const e of g.edges) {
      const a = pos.get(e.from.node)!;
      const b = pos.get(e.to.node)!;
      // Within a row an edge goes right with a gap of at least 60 units; a new row starts below at the left.
      if (a.y === b.y) expect(b.x - (a.x + NODE_WIDTH)).toBeGreaterThanOrEqual(60);
      else expect([b.y > a.y, b.x]).toEqual([true, xs[0]]);
    }
  });

  it('does nothing (and records nothing) when the layout is already done', () => {
    const s = freshStores(chain([...img], ['r', 'relu']));
    s.graph.run(autoLayout, {});
    const depth = s.history.depth;
    s.graph.run(autoLayout, {});
    expect(s.history.depth).toBe(depth);
  });

  it('undoes and redoes', () => {
    const g = chain([...img], ['c', 'conv2d'], ['r', 'relu']);
    g.nodes[1].position = { x: 33, y: 333 };
    const s = freshStores(g);
    const before = json(s.graph.graph);
    s.graph.run(autoLayout, {});
    const after = json(s.graph.graph);
    expect(after).not.toBe(before);
    s.graph.undo();
    expect(json(s.graph.graph)).toBe(before);
    s.graph.redo();
    expect(json(s.graph.graph)).toBe(after);
  });
});
