import { afterEach, describe, expect, it, vi } from 'vitest';
import { duplicate, paste, rename, setParam } from '../../src/renderer/commands';
import { clipOf } from '../../src/renderer/commands/clipboard';
import { commands } from '../../src/renderer/commands';
import type { Graph } from '../../src/shared/graph';
import { chain } from '../helpers/graphs';
import { deepFreeze, freshStores, json } from './setup';

afterEach(() => vi.useRealTimers());

const img = ['x', 'input', { channels: 1, height: 28, width: 28 }] as const;
const net = () => chain([...img], ['c', 'conv2d', { filters: 16, kernelH: 5, kernelW: 5 }], ['r', 'relu']);

function undoRedo(s: ReturnType<typeof freshStores>, before: string) {
  const after = json(s.graph.graph);
  expect(after).not.toBe(before);
  s.graph.undo();
  expect(json(s.graph.graph)).toBe(before);
  s.graph.redo();
  expect(json(s.graph.graph)).toBe(after);
}

describe('graph.setParam', () => {
  it('changes the value and the shapes follow', () => {
    const s = freshStores(net());
    expect(s.graph.analysis.shapes.get('c')).toEqual([16, 24, 24]);
    s.graph.run(setParam, { node: 'c', key: 'kernelH', value: 3 });
    expect(s.graph.analysis.shapes.get('c')).toEqual([16, 26, 24]);
  });

  it("refuses a value outside the spec, in the engine's words, naming the node", () => {
    const s = freshStores(net());
    expect(s.graph.run(setParam, { node: 'c', key: 'stride', value: 0 })).toBe(
      "'c' (Conv2D): stride 0: expected a whole number from 1 to 64",
    );
    expect(s.graph.run(setParam, { node: 'c', key: 'colour', value: 1 })).toBe(
      "'c' (Conv2D) has no parameter 'colour'",
    );
    expect(s.history.canUndo).toBe(false);
  });

  it('makes a burst of keystrokes in one field one undo step, and another field another', () => {
    vi.useFakeTimers();
    const s = freshStores(net());
    const start = json(s.graph.graph);
    for (const v of [1, 12, 128]) {
      s.graph.run(setParam, { node: 'c', key: 'filters', value: v });
      vi.advanceTimersByTime(200);
    }
    s.graph.run(setParam, { node: 'c', key: 'stride', value: 2 });
    expect(s.history.depth).toBe(2);
    s.graph.undo();
    expect(s.graph.graph.nodes[1].params.filters).toBe(128);
    s.graph.undo();
    expect(json(s.graph.graph)).toBe(start);
  });

  it('undoes and redoes', () => {
    const s = freshStores(net());
    const before = json(s.graph.graph);
    s.graph.run(setParam, { node: 'c', key: 'padding', value: 'same' });
    undoRedo(s, before);
  });
});

describe('graph.rename', () => {
  it('sets a name, and a blank one clears it', () => {
    const s = freshStores(net());
    s.graph.run(rename, { node: 'c', name: 'first conv' });
    expect(s.graph.graph.nodes[1].name).toBe('first conv');
    s.graph.run(rename, { node: 'c', name: '   ' });
    expect('name' in s.graph.graph.nodes[1]).toBe(false);
  });

  it('refuses a name longer than the format allows', () => {
    const s = freshStores(net());
    expect(s.graph.run(rename, { node: 'c', name: 'n'.repeat(101) })).toBe('a name has at most 100 characters');
  });

  it('undoes and redoes', () => {
    const s = freshStores(net());
    const before = json(s.graph.graph);
    s.graph.run(rename, { node: 'r', name: 'activation' });
    undoRedo(s, before);
  });
});

describe('edit.paste and edit.duplicate', () => {
  it('pastes copies with fresh ids, wired among themselves as the originals were, and selects them', () => {
    const g = deepFreeze(net());
    const s = freshStores(g);
    const clip = clipOf(g, ['c', 'r']);
    expect(clip.edges).toEqual([{ from: { node: 'c', port: 0 }, to: { node: 'r', port: 0 } }]);
    s.graph.run(paste, clip);
    const added = s.graph.graph.nodes.slice(3);
    expect(added.map((n) => n.id)).toEqual(['conv2d_1', 'relu_1']);
    expect(added[0].params).toEqual(g.nodes[1].params);
    expect(added[0].position).toEqual({ x: g.nodes[1].position.x + 40, y: g.nodes[1].position.y + 40 });
    expect(s.graph.graph.edges.slice(2)).toEqual([
      { from: { node: 'conv2d_1', port: 0 }, to: { node: 'relu_1', port: 0 } },
    ]);
    expect(s.selection.current.nodes).toEqual(['conv2d_1', 'relu_1']);
  });

  it('puts a second paste of the same clip beside the first, not on top of it', () => {
    const s = freshStores(net());
    const clip = clipOf(s.graph.graph, ['r']);
    s.graph.run(paste, clip);
    s.graph.run(paste, clip);
    const [a, b] = s.graph.graph.nodes.slice(3).map((n) => n.position);
    expect(b).toEqual({ x: a.x + 40, y: a.y + 40 });
  });

  it("keeps a copy's name only if no other node has it", () => {
    const g: Graph = net();
    g.nodes[2].name = 'act';
    const s = freshStores(g);
    s.graph.run(duplicate, { ids: ['r'] });
    expect(s.graph.graph.nodes[3].name).toBeUndefined();
  });

  it('paste takes the clipboard, and does not apply when it is empty', () => {
    const s = freshStores(net());
    expect(paste.argsFrom!(s.editor.context)).toBeNull();
    s.selection.set({ nodes: ['c'], edges: [] });
    expect(s.editor.runNamed('edit.copy')).toBe(true);
    expect(paste.argsFrom!(s.editor.context)?.nodes.map((n) => n.id)).toEqual(['c']);
  });

  it('cut copies and deletes in one undo step', () => {
    const s = freshStores(net());
    const before = json(s.graph.graph);
    s.selection.set({ nodes: ['r'], edges: [] });
    s.editor.runNamed('edit.cut');
    expect(s.graph.graph.nodes.map((n) => n.id)).toEqual(['x', 'c']);
    expect(s.editor.clipboard?.nodes.map((n) => n.id)).toEqual(['r']);
    s.graph.undo();
    expect(json(s.graph.graph)).toBe(before);
  });

  it('copy with nothing selected does not apply (the key is left to the page)', () => {
    const s = freshStores(net());
    expect(s.editor.runNamed('edit.copy')).toBe(false);
    expect(commands.get('edit.copy')).toBeDefined();
  });

  it('paste undoes and redoes', () => {
    const s = freshStores(net());
    const before = json(s.graph.graph);
    s.graph.run(paste, clipOf(s.graph.graph, ['c', 'r']));
    undoRedo(s, before);
  });

  it('duplicate undoes and redoes', () => {
    const s = freshStores(net());
    const before = json(s.graph.graph);
    s.graph.run(duplicate, { ids: ['x', 'c'] });
    expect(s.graph.graph.edges).toContainEqual({
      from: { node: 'input_1', port: 0 },
      to: { node: 'conv2d_1', port: 0 },
    });
    undoRedo(s, before);
  });
});
