// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { commands } from '../../src/renderer/commands';
import EditorView from '../../src/renderer/editor/EditorView.vue';
import { NODE_WIDTH } from '../../src/renderer/editor/canvas/geometry';
import { handleEditorKey, isTyping } from '../../src/renderer/editor/keyboard';
import ShortcutSheet from '../../src/renderer/editor/ShortcutSheet.vue';
import { chain } from '../helpers/graphs';
import { freshStores, json, key } from './setup';

afterEach(() => {
  vi.useRealTimers();
  document.body.innerHTML = '';
});

const img = ['x', 'input', { channels: 1, height: 28, width: 28 }] as const;
const net = () => chain([...img], ['c', 'conv2d'], ['r', 'relu']);

/** Presses a key as the editor's window listener receives it; returns whether a command took it. */
function press(s: ReturnType<typeof freshStores>, k: string, mods: Parameters<typeof key>[1] = {}, target?: Element) {
  const e = key(k, mods);
  if (target) Object.defineProperty(e, 'target', { value: target });
  const taken = handleEditorKey(e, s.editor.runNamed);
  expect(e.defaultPrevented).toBe(taken);
  return taken;
}

describe('editor shortcuts', () => {
  it('Delete and Backspace remove the selection; with nothing selected the key is left alone', () => {
    const s = freshStores(net());
    expect(press(s, 'Delete')).toBe(false);
    s.selection.set({ nodes: ['r'], edges: [] });
    expect(press(s, 'Delete')).toBe(true);
    s.selection.set({ nodes: ['c'], edges: [] });
    expect(press(s, 'Backspace')).toBe(true);
    expect(s.graph.graph.nodes.map((n) => n.id)).toEqual(['x']);
  });

  it('Ctrl+Z undoes, Ctrl+Shift+Z and Ctrl+Y redo', () => {
    const s = freshStores(net());
    const start = json(s.graph.graph);
    s.selection.set({ nodes: ['r'], edges: [] });
    press(s, 'Delete');
    const deleted = json(s.graph.graph);
    press(s, 'z', { ctrl: true });
    expect(json(s.graph.graph)).toBe(start);
    press(s, 'Z', { ctrl: true, shift: true });
    expect(json(s.graph.graph)).toBe(deleted);
    press(s, 'z', { ctrl: true });
    press(s, 'y', { ctrl: true });
    expect(json(s.graph.graph)).toBe(deleted);
  });

  it('Ctrl+C then Ctrl+V pastes a wired copy; Ctrl+D duplicates; Ctrl+X cuts', () => {
    const s = freshStores(net());
    s.selection.set({ nodes: ['c', 'r'], edges: [] });
    press(s, 'c', { ctrl: true });
    press(s, 'v', { ctrl: true });
    expect(s.graph.graph.nodes).toHaveLength(5);
    expect(s.graph.graph.edges).toContainEqual({
      from: { node: 'conv2d_1', port: 0 },
      to: { node: 'relu_1', port: 0 },
    });
    press(s, 'd', { meta: true });
    expect(s.graph.graph.nodes).toHaveLength(7);
    press(s, 'x', { ctrl: true });
    expect(s.graph.graph.nodes).toHaveLength(5);
  });

  it('Ctrl+A selects every node, Escape clears the selection', () => {
    const s = freshStores(net());
    press(s, 'a', { ctrl: true });
    expect(s.selection.current.nodes).toEqual(['x', 'c', 'r']);
    press(s, 'Escape');
    expect(s.selection.current.nodes).toEqual([]);
  });

  it('arrows nudge the selection by the grid, a run of presses being one undo step', () => {
    vi.useFakeTimers();
    const s = freshStores(net());
    s.selection.set({ nodes: ['c'], edges: [] });
    press(s, 'ArrowRight');
    press(s, 'ArrowRight');
    press(s, 'ArrowDown', { shift: true });
    expect(s.graph.graph.nodes[1].position).toEqual({ x: 200, y: 100 });
    press(s, 'z', { ctrl: true });
    expect(s.graph.graph.nodes[1].position).toEqual({ x: 160, y: 0 });
  });

  it('L lays the graph out, F and Ctrl+0 fit it in view, Ctrl+= and Ctrl+- zoom', () => {
    const s = freshStores(net());
    s.editor.canvasSize = { width: 400, height: 300 };
    press(s, 'l');
    expect(s.graph.graph.nodes.map((n) => n.position.x)).toEqual([0, 240, 480]);
    press(s, 'f');
    // Three nodes 240 apart are 480 + NODE_WIDTH units wide, fitted into 400 − 2·40 pixels.
    expect(s.editor.viewport.scale).toBeCloseTo(320 / (480 + NODE_WIDTH), 9);
    s.editor.viewport = { x: 0, y: 0, scale: 1 };
    press(s, '0', { ctrl: true });
    expect(s.editor.viewport.scale).toBeCloseTo(320 / (480 + NODE_WIDTH), 9);
    const before = s.editor.viewport.scale;
    press(s, '=', { ctrl: true });
    expect(s.editor.viewport.scale).toBeCloseTo(before * 1.25, 9);
    press(s, '-', { ctrl: true });
    expect(s.editor.viewport.scale).toBeCloseTo(before, 9);
  });

  it('? and F1 show and hide the shortcut sheet', () => {
    const s = freshStores();
    press(s, '?', { shift: true });
    expect(s.editor.shortcutSheetOpen).toBe(true);
    press(s, 'F1');
    expect(s.editor.shortcutSheetOpen).toBe(false);
  });

  it('does nothing while typing in a field', () => {
    const s = freshStores(net());
    s.selection.set({ nodes: ['r'], edges: [] });
    const input = document.createElement('input');
    document.body.append(input);
    expect(isTyping(input)).toBe(true);
    expect(press(s, 'Backspace', {}, input)).toBe(false);
    expect(press(s, 'z', { ctrl: true }, input)).toBe(false);
    expect(press(s, 'l', {}, input)).toBe(false);
    expect(s.graph.graph.nodes).toHaveLength(3);
    expect(isTyping(document.createElement('div'))).toBe(false);
  });

  it('does nothing for keys pressed inside a dialog', () => {
    const s = freshStores(net());
    s.selection.set({ nodes: ['r'], edges: [] });
    const dialog = document.createElement('section');
    dialog.setAttribute('role', 'dialog');
    const button = document.createElement('button');
    dialog.append(button);
    document.body.append(dialog);
    expect(press(s, 'Delete', {}, button)).toBe(false);
    expect(s.graph.graph.nodes).toHaveLength(3);
  });
});

describe('the shortcut sheet', () => {
  it('lists every command that has a shortcut, with its keys', () => {
    freshStores();
    const w = mount(ShortcutSheet);
    const text = w.text();
    for (const c of commands.list().filter((c) => c.keys?.length)) expect(text).toContain(c.label);
    expect(text).toContain('Ctrl+Shift+Z');
    expect(text).toContain('Ctrl+Y');
    expect(text).toContain('Shift+drag on the background');
  });

  it('closes on Escape, on ? again and on the close button', async () => {
    freshStores();
    const w = mount(ShortcutSheet);
    await w.get('[data-testid="shortcut-sheet"]').trigger('keydown', { key: 'Escape' });
    await w.get('[data-testid="shortcut-sheet"]').trigger('keydown', { key: '?' });
    await w.get('[data-testid="shortcut-sheet"]').trigger('keydown', { key: 'a' });
    await w.get('button[aria-label="Close"]').trigger('click');
    expect(w.emitted('close')).toHaveLength(3);
  });
});

describe('EditorView', () => {
  /** The canvas draws with Konva, which needs a real canvas; these tests look at everything around it. */
  const mountView = () =>
    mount(EditorView, { attachTo: document.body, global: { stubs: { GraphCanvas: { template: '<div />' } } } });

  it('listens for the shortcuts on the window, and opens the sheet with ?', async () => {
    const s = freshStores(net());
    const w = mountView();
    s.selection.set({ nodes: ['r'], edges: [] });
    window.dispatchEvent(key('Delete'));
    expect(s.graph.graph.nodes).toHaveLength(2);
    window.dispatchEvent(key('?', { shift: true }));
    await w.vm.$nextTick();
    expect(w.find('[data-testid="shortcut-sheet"]').exists()).toBe(true);
    w.unmount();
    // Unmounted, it no longer listens.
    s.selection.set({ nodes: ['c'], edges: [] });
    window.dispatchEvent(key('Delete'));
    expect(s.graph.graph.nodes).toHaveLength(2);
  });

  it('builds a chain from the palette by double-clicks alone', async () => {
    const s = freshStores();
    const w = mountView();
    for (const type of ['input', 'conv2d', 'maxpool2d', 'flatten', 'dense', 'softmax']) {
      await w.get(`[data-layer="${type}"]`).trigger('dblclick');
    }
    expect(s.graph.graph.edges.map((e) => `${e.from.node}>${e.to.node}`)).toEqual([
      'input_1>conv2d_1',
      'conv2d_1>maxpool2d_1',
      'maxpool2d_1>flatten_1',
      'flatten_1>dense_1',
      'dense_1>softmax_1',
    ]);
    expect(s.graph.metrics.valid).toBe(true);
    expect(s.graph.analysis.shapes.get('softmax_1')).toEqual([10]);
    expect(w.get('[data-testid="status-state"]').text()).toBe('✓ graph valid');
    w.unmount();
  });
});
