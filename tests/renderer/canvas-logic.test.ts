import { afterEach, describe, expect, it, vi } from 'vitest';
import { connect, moveNodes } from '../../src/renderer/commands';
import { connectionProblem } from '../../src/renderer/commands/connect';
import {
  Culler,
  OVERSCAN,
  STRETCH,
  drawnArea,
  redrawFor,
  slideTransform,
} from '../../src/renderer/editor/canvas/culling';
import { NODE_HEIGHT, NODE_WIDTH, inputPortAt, outputPortAt } from '../../src/renderer/editor/canvas/geometry';
import { gridStep } from '../../src/renderer/editor/canvas/grid';
import { Gestures, type GestureHost } from '../../src/renderer/editor/canvas/gestures';
import { hitTest, sceneOf, wireTarget } from '../../src/renderer/editor/canvas/scene';
import { nodeText } from '../../src/renderer/editor/canvas/node-text';
import { tooltipFor } from '../../src/renderer/editor/canvas/tooltip';
import { fitTo, toGraph, toScreen, zoomAt, type Viewport } from '../../src/renderer/editor/canvas/viewport';
import type { Point } from '../../src/renderer/commands/types';
import { chain, dag } from '../helpers/graphs';
import { freshStores, json } from './setup';

afterEach(() => vi.useRealTimers());

const img = ['x', 'input', { channels: 1, height: 28, width: 28 }] as const;

describe('the viewport', () => {
  const vp: Viewport = { x: 30, y: -20, scale: 1.5 };

  it('maps graph to screen and back', () => {
    const p = { x: 12, y: 34 };
    expect(toScreen(vp, p)).toEqual({ x: 48, y: 31 });
    expect(toGraph(vp, toScreen(vp, p))).toEqual(p);
  });

  it('zooms about the pointer: the graph point under it stays under it', () => {
    const pointer = { x: 200, y: 150 };
    const before = toGraph(vp, pointer);
    const z = zoomAt(vp, pointer, 2);
    expect(z.scale).toBe(3);
    const after = toGraph(z, pointer);
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
  });

  it('keeps the zoom between its limits', () => {
    expect(zoomAt(vp, { x: 0, y: 0 }, 1000).scale).toBe(4);
    expect(zoomAt(vp, { x: 0, y: 0 }, 1e-6).scale).toBe(0.1);
  });

  it('fits a wide graph inside the canvas with its margin, centred', () => {
    const v = fitTo({ x: 100, y: 50, width: 2000, height: 100 }, { width: 1000, height: 600 }, { margin: 40 });
    expect(v.scale).toBeCloseTo(920 / 2000, 9);
    expect(toScreen(v, { x: 100, y: 100 }).x).toBeCloseTo(40, 9);
    expect(toScreen(v, { x: 1100, y: 100 })).toEqual({ x: 500, y: 300 });
  });

  it('with a legible minimum, shows a long graph from its left end instead of shrinking it', () => {
    const v = fitTo({ x: 100, y: 50, width: 2000, height: 100 }, { width: 1000, height: 600 }, { minScale: 0.7 });
    expect(v.scale).toBe(0.7);
    expect(toScreen(v, { x: 100, y: 100 })).toEqual({ x: 40, y: 300 });
    // A graph that fits is still centred.
    const small = fitTo({ x: 0, y: 0, width: 500, height: 100 }, { width: 1000, height: 600 }, { minScale: 0.7 });
    expect(toScreen(small, { x: 250, y: 50 })).toEqual({ x: 500, y: 300 });
  });

  it('does not blow a small graph up beyond its natural size', () => {
    expect(fitTo({ x: 0, y: 0, width: 100, height: 50 }, { width: 1000, height: 600 }).scale).toBe(1);
  });
});

describe('hit testing', () => {
  const g = dag(
    [[...img], ['a', 'relu'], ['sum', 'add']],
    [
      ['x', 'a'],
      ['a', 'sum', 0],
    ],
  );
  // dag() places nodes 160 apart on one row; move them apart so that edges have room.
  g.nodes.forEach((n, i) => (n.position = { x: i * 300, y: 0 }));
  const scene = sceneOf(g);

  it('finds ports before nodes, nodes before edges, and the background elsewhere', () => {
    expect(hitTest(scene, outputPortAt({ x: 0, y: 0 }), 1)).toEqual({ kind: 'port', id: 'x', dir: 'out', port: 0 });
    expect(hitTest(scene, { x: 300 + NODE_WIDTH / 2, y: 20 }, 1)).toEqual({ kind: 'node', id: 'a' });
    const mid = { x: (NODE_WIDTH + 300) / 2, y: NODE_HEIGHT / 2 };
    expect(hitTest(scene, mid, 1)).toEqual({ kind: 'edge', key: 'x:0>a:0' });
    expect(hitTest(scene, { x: 150, y: 400 }, 1)).toEqual({ kind: 'background' });
  });

  it('snaps a wire to the nearest input port that accepts it, and only to one that does', () => {
    const near = { x: 300 - 12, y: NODE_HEIGHT / 2 - 18 }; // about 22 units from a's input port, off the edge
    expect(wireTarget(scene, near, 1, 28, () => true)).toEqual({ kind: 'port', id: 'a', dir: 'in', port: 0 });
    expect(wireTarget(scene, near, 1, 28, () => false)).toEqual({ kind: 'background' });
    expect(wireTarget(scene, near, 1, 10, () => true)).toEqual({ kind: 'background' });
    // Refused but right under the pointer: still found, so that the reason can be shown.
    const on = inputPortAt({ x: 300, y: 0 }, 0, 1);
    expect(wireTarget(scene, on, 1, 28, () => false)).toEqual({ kind: 'port', id: 'a', dir: 'in', port: 0 });
  });

  it('shows a merge layer one free input port beyond those in use', () => {
    expect(scene.byId.get('sum')!.inputs).toBe(2);
    expect(scene.byId.get('x')!.inputs).toBe(0);
    expect(hitTest(scene, inputPortAt({ x: 600, y: 0 }, 1, 2), 1)).toEqual({
      kind: 'port',
      id: 'sum',
      dir: 'in',
      port: 1,
    });
  });
});

/** The gesture host wired to real stores, as the canvas wires it. */
function setup(graph = chain([...img], ['c', 'conv2d'], ['r', 'relu'])) {
  const s = freshStores(graph);
  const refused: string[] = [];
  const host: GestureHost = {
    graph: () => s.graph.graph,
    selection: () => s.selection.current,
    select: (sel) => s.selection.set(sel),
    toggleNode: (id) => s.selection.toggleNode(id),
    toggleEdge: (k) => s.selection.toggleEdge(k),
    moveNodes: (positions, id) => void s.graph.run(moveNodes, { positions, gesture: id }),
    endBurst: () => s.history.seal(),
    connect(args) {
      const r = s.graph.run(connect, args);
      if (r) refused.push(r);
    },
    connectionProblem: (args) => connectionProblem(s.graph.graph, args),
    pan: (dx, dy) => s.editor.panBy(dx, dy),
  };
  const at = (p: Point) => ({ screen: p, graph: p }); // viewport at the identity
  return { s, refused, g: new Gestures(host), at };
}

describe('canvas gestures', () => {
  it('drags the selected nodes together onto the grid, as one undo step', () => {
    vi.useFakeTimers();
    const { s, g, at } = setup();
    const start = json(s.graph.graph);
    s.selection.set({ nodes: ['c', 'r'], edges: [] });
    g.down({ kind: 'node', id: 'c' }, at({ x: 170, y: 10 }), { shift: false, pan: false });
    for (let i = 1; i <= 10; i++) {
      g.move({ kind: 'node', id: 'c' }, at({ x: 170 + i * 4.3, y: 10 + i * 6.1 }), 1);
      vi.advanceTimersByTime(16);
    }
    g.up({ kind: 'node', id: 'c' }, at({ x: 213, y: 71 }));
    const pos = Object.fromEntries(s.graph.graph.nodes.map((n) => [n.id, n.position]));
    // c started at (160, 0) and moved by (43, 61): it lands on the grid at (200, 60); r keeps its distance.
    expect(pos.c).toEqual({ x: 200, y: 60 });
    expect(pos.r).toEqual({ x: 360, y: 60 });
    expect(pos.x).toEqual({ x: 0, y: 0 });
    expect(s.history.depth).toBe(1);
    s.graph.undo();
    expect(json(s.graph.graph)).toBe(start);
  });

  it('selects an unselected node alone on press, and a click without moving changes nothing', () => {
    const { s, g, at } = setup();
    s.selection.set({ nodes: ['x'], edges: [] });
    g.down({ kind: 'node', id: 'r' }, at({ x: 330, y: 10 }), { shift: false, pan: false });
    g.move({ kind: 'node', id: 'r' }, at({ x: 331, y: 11 }), 1);
    g.up({ kind: 'node', id: 'r' }, at({ x: 331, y: 11 }));
    expect(s.selection.current.nodes).toEqual(['r']);
    expect(s.history.canUndo).toBe(false);
  });

  it('shift-click adds and removes nodes', () => {
    const { s, g, at } = setup();
    g.down({ kind: 'node', id: 'x' }, at({ x: 10, y: 10 }), { shift: false, pan: false });
    g.up({ kind: 'node', id: 'x' }, at({ x: 10, y: 10 }));
    g.down({ kind: 'node', id: 'r' }, at({ x: 330, y: 10 }), { shift: true, pan: false });
    g.up({ kind: 'node', id: 'r' }, at({ x: 330, y: 10 }));
    expect(s.selection.current.nodes).toEqual(['x', 'r']);
    g.down({ kind: 'node', id: 'x' }, at({ x: 10, y: 10 }), { shift: true, pan: false });
    expect(s.selection.current.nodes).toEqual(['r']);
  });

  it('wires an output port to an input port', () => {
    const { s, g, at } = setup({ ...chain([...img], ['c', 'conv2d']), edges: [] });
    g.down({ kind: 'port', id: 'x', dir: 'out', port: 0 }, at({ x: 160, y: 34 }), { shift: false, pan: false });
    g.move({ kind: 'port', id: 'c', dir: 'in', port: 0 }, at({ x: 160, y: 34 }), 1);
    expect(g.state).toMatchObject({ kind: 'wire', over: { node: 'c', port: 0 }, problem: null });
    g.up({ kind: 'port', id: 'c', dir: 'in', port: 0 }, at({ x: 160, y: 34 }));
    expect(s.graph.graph.edges).toEqual([{ from: { node: 'x', port: 0 }, to: { node: 'c', port: 0 } }]);
  });

  it('shows why a wire would be refused while it hovers the port, and refuses it on release', () => {
    const { s, g, at, refused } = setup();
    g.down({ kind: 'port', id: 'r', dir: 'out', port: 0 }, at({ x: 480, y: 34 }), { shift: false, pan: false });
    g.move({ kind: 'port', id: 'c', dir: 'in', port: 0 }, at({ x: 160, y: 34 }), 1);
    expect(g.state).toMatchObject({ kind: 'wire', problem: expect.stringMatching(/would make a cycle/) });
    g.up({ kind: 'port', id: 'c', dir: 'in', port: 0 }, at({ x: 160, y: 34 }));
    expect(refused[0]).toMatch(/would make a cycle/);
    expect(s.graph.graph.edges).toHaveLength(2);
  });

  it('drops a wire released over nothing', () => {
    const { s, g, at } = setup({ ...chain([...img], ['c', 'conv2d']), edges: [] });
    g.down({ kind: 'port', id: 'x', dir: 'out', port: 0 }, at({ x: 160, y: 34 }), { shift: false, pan: false });
    g.up({ kind: 'background' }, at({ x: 600, y: 600 }));
    expect(s.graph.graph.edges).toEqual([]);
    expect(g.state.kind).toBe('idle');
  });

  it('selects the nodes a rubber band touches with Shift held, adding to the selection', () => {
    const { s, g, at } = setup();
    s.selection.set({ nodes: ['r'], edges: [] });
    g.down({ kind: 'background' }, at({ x: -10, y: -10 }), { shift: true, pan: false });
    g.move({ kind: 'background' }, at({ x: 170, y: 80 }), 1);
    g.up({ kind: 'background' }, at({ x: 170, y: 80 }));
    expect(s.selection.current.nodes).toEqual(['r', 'x', 'c']);
  });

  it('pans by dragging the background, and a plain click there clears the selection', () => {
    const { s, g, at } = setup();
    const vp = { ...s.editor.viewport };
    g.down({ kind: 'background' }, at({ x: 100, y: 300 }), { shift: false, pan: false });
    g.move({ kind: 'background' }, at({ x: 130, y: 290 }), 1);
    g.up({ kind: 'background' }, at({ x: 130, y: 290 }));
    expect(s.editor.viewport).toEqual({ ...vp, x: vp.x + 30, y: vp.y - 10 });
    s.selection.set({ nodes: ['x'], edges: [] });
    g.down({ kind: 'background' }, at({ x: 100, y: 300 }), { shift: false, pan: false });
    g.up({ kind: 'background' }, at({ x: 100, y: 300 }));
    expect(s.selection.current.nodes).toEqual([]);
  });

  it('pans with Space held even when the press is on a node', () => {
    const { s, g, at } = setup();
    const vp = { ...s.editor.viewport };
    g.down({ kind: 'node', id: 'c' }, at({ x: 200, y: 10 }), { shift: false, pan: true });
    g.move({ kind: 'node', id: 'c' }, at({ x: 250, y: 10 }), 1);
    g.up({ kind: 'node', id: 'c' }, at({ x: 250, y: 10 }));
    expect(s.editor.viewport.x).toBe(vp.x + 50);
    expect(s.graph.graph.nodes[1].position).toEqual({ x: 160, y: 0 });
  });

  it('selects an edge on click', () => {
    const { s, g, at } = setup();
    g.down({ kind: 'edge', key: 'x:0>c:0' }, at({ x: 160, y: 34 }), { shift: false, pan: false });
    expect(s.selection.current).toEqual({ nodes: [], edges: ['x:0>c:0'] });
  });
});

describe('drawing only what is needed', () => {
  const view: Viewport = { x: 10, y: 20, scale: 0.8 };

  it('keeps the drawn canvas for a short pan or a small zoom, and redraws it after a long pan or a large zoom', () => {
    expect(redrawFor(view, { ...view, x: view.x + OVERSCAN / 2 })).toBe('keep');
    expect(redrawFor(view, { ...view, y: view.y - OVERSCAN / 2 - 1 })).toBe('now');
    expect(redrawFor(view, { ...view, scale: 0.9 })).toBe('soon');
    expect(redrawFor(view, { ...view, scale: 0.8 * STRETCH.max * 1.01 })).toBe('now');
    expect(redrawFor(view, { ...view, scale: 0.8 * STRETCH.min * 0.99 })).toBe('now');
  });

  it('slides and stretches the drawn canvas so that every graph point shows where the view puts it', () => {
    const now: Viewport = { x: -35, y: 60, scale: 1.2 };
    const m = /translate3d\(([-\d.e]+)px, ([-\d.e]+)px, 0\)(?: scale\(([-\d.e]+)\))?/.exec(slideTransform(view, now))!;
    const [tx, ty, k] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 1)];
    for (const g of [
      { x: 0, y: 0 },
      { x: 345, y: -120 },
    ]) {
      // Drawn inside the canvas at g·d.scale + d + OVERSCAN; the canvas sits at −OVERSCAN, moved by t, scaled by k.
      const inCanvas = { x: g.x * view.scale + view.x + OVERSCAN, y: g.y * view.scale + view.y + OVERSCAN };
      const shown = { x: -OVERSCAN + tx + k * inCanvas.x, y: -OVERSCAN + ty + k * inCanvas.y };
      expect(shown.x).toBeCloseTo(toScreen(now, g).x, 9);
      expect(shown.y).toBeCloseTo(toScreen(now, g).y, 9);
    }
  });

  it('finds what lies in the drawn area, and answers with the same set while that does not change', () => {
    const g = chain([...img], ['c', 'conv2d'], ['r', 'relu']);
    g.nodes[2].position = { x: 5000, y: 0 };
    const scene = sceneOf(g);
    const culler = new Culler();
    const area = drawnArea({ x: 0, y: 0, scale: 1 }, { width: 400, height: 300 });
    const first = culler.visibleIn(scene, area);
    // r is far off; the edge to it starts in view, so it is drawn.
    expect([...first].sort()).toEqual(['c', 'c:0>r:0', 'x', 'x:0>c:0']);
    expect(culler.visibleIn(scene, drawnArea({ x: -5, y: 3, scale: 1 }, { width: 400, height: 300 }))).toBe(first);
  });

  it('spaces the grid dots out when zoomed far out', () => {
    expect(gridStep(1)).toBe(20);
    expect(gridStep(0.4)).toBe(40);
    expect(gridStep(0.1)).toBe(160);
  });
});

describe('the tooltip beside the pointer', () => {
  it("says a node's error, an edge's shape, and why a wire would be refused", () => {
    const s = freshStores(chain(['x', 'input', { channels: 1, height: 4, width: 4 }], ['c', 'conv2d', { kernelH: 5 }]));
    const scene = sceneOf(s.graph.graph);
    const idle = { kind: 'idle' } as const;
    expect(tooltipFor(idle, { kind: 'node', id: 'c' }, scene, s.graph.metrics)).toEqual({
      text: expect.stringMatching(/^node 'c' \(Conv2D\): the 5-pixel window is larger/),
      error: true,
    });
    expect(tooltipFor(idle, { kind: 'node', id: 'x' }, scene, s.graph.metrics)).toBeNull();
    expect(tooltipFor(idle, { kind: 'edge', key: 'x:0>c:0' }, scene, s.graph.metrics)).toEqual({
      text: 'carries 1×4×4 per example',
      error: false,
    });
    const wire = { kind: 'wire', from: 'c', start: { x: 0, y: 0 }, end: { x: 0, y: 0 }, over: null } as const;
    expect(tooltipFor({ ...wire, problem: 'no' }, { kind: 'background' }, scene, s.graph.metrics)).toEqual({
      text: 'no',
      error: true,
    });
    expect(tooltipFor({ ...wire, problem: null }, { kind: 'node', id: 'c' }, scene, s.graph.metrics)).toBeNull();
  });

  it('says, as information, the rows and columns a floored window leaves unread; the node line marks it', () => {
    const s = freshStores(chain(['x', 'input', { channels: 1, height: 7, width: 7 }], ['p', 'maxpool2d', {}]));
    const scene = sceneOf(s.graph.graph);
    expect(tooltipFor({ kind: 'idle' }, { kind: 'node', id: 'p' }, scene, s.graph.metrics)).toEqual({
      text: expect.stringMatching(/^node 'p' \(MaxPool\): output height floor.*the last 1 row and the last 1 column/),
      error: false,
    });
    const p = s.graph.graph.nodes.find((n) => n.id === 'p')!;
    expect(nodeText(p, s.graph.metrics.nodes.get('p'))).toMatchObject({ info: '1×3×3 · ⓘ floored', error: null });
  });
});
