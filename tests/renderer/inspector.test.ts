// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getLayer, listLayers } from '../../src/engine';
import InspectorPanel from '../../src/renderer/editor/inspector/InspectorPanel.vue';
import { fieldsFor, parseField } from '../../src/renderer/editor/inspector/fields';
import { chain } from '../helpers/graphs';
import { freshStores, json } from './setup';

afterEach(() => vi.useRealTimers());

const conv = getLayer('conv2d')!;
const img = ['x', 'input', { channels: 1, height: 28, width: 28 }] as const;

describe('inspector fields from the parameter specs', () => {
  it('makes one field per parameter, in order, with the node value or the default', () => {
    const fields = fieldsFor(conv, { filters: 16 });
    expect(fields.map((f) => f.key)).toEqual([
      'filters',
      'kernelH',
      'kernelW',
      'stride',
      'padding',
      'groups',
      'bias',
      'init',
    ]);
    expect(fields[0]).toMatchObject({ value: 16, step: 1, spec: { kind: 'int', min: 1, max: 4096 } });
    expect(fields[1].value).toBe(3);
    expect(fieldsFor(getLayer('dropout')!, {})[0]).toMatchObject({ step: 'any', spec: { kind: 'number' } });
  });

  it('has a field kind the inspector can show for every parameter of every layer', () => {
    for (const def of listLayers()) {
      for (const f of fieldsFor(def, {})) expect(['int', 'number', 'bool', 'choice', 'padding']).toContain(f.spec.kind);
    }
  });

  it('reads what is typed, or says what is wrong in the engine words', () => {
    const p = conv.params as Record<string, (typeof conv.params)[string]>;
    expect(parseField(p.kernelH, ' 5 ')).toEqual({ ok: true, value: 5 });
    expect(parseField(p.kernelH, '')).toEqual({ ok: false, error: 'expected a whole number from 1 to 64' });
    expect(parseField(p.kernelH, '2.5')).toEqual({ ok: false, error: 'expected a whole number from 1 to 64' });
    expect(parseField(p.kernelH, '65')).toEqual({ ok: false, error: 'expected a whole number from 1 to 64' });
    expect(parseField(p.padding, 'same')).toEqual({ ok: true, value: 'same' });
    expect(parseField(p.padding, '2')).toEqual({ ok: true, value: 2 });
    expect(parseField(p.padding, 'wide')).toEqual({
      ok: false,
      error: "expected 'same' or a whole number from 0 to 64",
    });
    expect(parseField(p.bias, false)).toEqual({ ok: true, value: false });
    expect(parseField(p.init, 'glorot')).toEqual({ ok: true, value: 'glorot' });
    expect(parseField(p.init, 'zeros')).toEqual({ ok: false, error: 'expected one of he, glorot' });
    const rate = getLayer('dropout')!.params.rate;
    expect(parseField(rate, '0.25')).toEqual({ ok: true, value: 0.25 });
    expect(parseField(rate, '0.99')).toEqual({ ok: false, error: 'expected a number from 0 to 0.95' });
  });
});

function mountFor(graph = chain([...img], ['c', 'conv2d', { filters: 16, kernelH: 5, kernelW: 5 }], ['r', 'relu'])) {
  const s = freshStores(graph);
  const w = mount(InspectorPanel);
  return { s, w };
}

describe('InspectorPanel', () => {
  it('asks to select a layer when nothing is selected, and lists whole-graph problems', async () => {
    const { s, w } = mountFor(chain(['r', 'relu']));
    expect(w.text()).toContain('Select a layer to edit its parameters.');
    expect(w.text()).toContain('the graph has no Input node; add one from the palette');
    s.selection.set({ nodes: ['r'], edges: [] });
    await w.vm.$nextTick();
    expect(w.text()).not.toContain('Select a layer');
  });

  it('shows the selected layer fields, help, output shape and parameter count', async () => {
    const { s, w } = mountFor();
    s.selection.set({ nodes: ['c'], edges: [] });
    await w.vm.$nextTick();
    expect(w.find('h2').text()).toBe('Conv2D');
    expect(w.findAll('[data-param]').map((f) => f.attributes('data-param'))).toEqual([
      'filters',
      'kernelH',
      'kernelW',
      'stride',
      'padding',
      'groups',
      'bias',
      'init',
    ]);
    expect((w.get('#param-c-kernelH').element as HTMLInputElement).value).toBe('5');
    expect(w.get('#param-c-init').element.tagName).toBe('SELECT');
    expect(w.get('#param-c-bias').attributes('type')).toBe('checkbox');
    expect(w.get('[data-testid="inspector-shape"]').text()).toBe('16×24×24');
    expect(w.text()).toContain('416'); // 16·1·5·5 + 16
    expect(w.text()).toContain(conv.help);
  });

  it("carries the source text's trade-offs in each activation's help", async () => {
    const { s, w } = mountFor(chain([...img], ['s', 'sigmoid'], ['t', 'tanh'], ['r', 'relu'], ['l', 'leaky_relu']));
    const shown = async (id: string) => {
      s.selection.set({ nodes: [id], edges: [] });
      await w.vm.$nextTick();
      return w.get('.help').text();
    };
    expect(await shown('s')).toMatch(/vanish/);
    expect(await shown('s')).toMatch(/not zero-centred/);
    expect(await shown('t')).toMatch(/Zero-centred/);
    expect(await shown('r')).toMatch(/dead neuron/);
    expect(await shown('l')).toMatch(/no dead neurons/);
  });

  it('applies a valid value as it is typed, and the shapes follow', async () => {
    const { s, w } = mountFor();
    s.selection.set({ nodes: ['c'], edges: [] });
    await w.vm.$nextTick();
    await w.get('#param-c-kernelH').setValue('3');
    expect(s.graph.graph.nodes[1].params.kernelH).toBe(3);
    expect(w.get('[data-testid="inspector-shape"]').text()).toBe('16×26×24');
  });

  it('shows a bad value at the field and does not apply it', async () => {
    const { s, w } = mountFor();
    s.selection.set({ nodes: ['c'], edges: [] });
    await w.vm.$nextTick();
    const before = json(s.graph.graph);
    await w.get('#param-c-stride').setValue('0');
    expect(w.get('[data-param="stride"] .error').text()).toBe('expected a whole number from 1 to 64');
    expect(w.get('#param-c-stride').attributes('aria-invalid')).toBe('true');
    expect(json(s.graph.graph)).toBe(before);
    await w.get('#param-c-stride').setValue('2');
    expect(w.find('[data-param="stride"] .error').exists()).toBe(false);
    expect(s.graph.graph.nodes[1].params.stride).toBe(2);
  });

  it('makes a burst of typing in one field one undo step; leaving the field ends it', async () => {
    vi.useFakeTimers();
    const { s, w } = mountFor();
    s.selection.set({ nodes: ['c'], edges: [] });
    await w.vm.$nextTick();
    const field = w.get('#param-c-filters');
    for (const v of ['3', '32', '320']) {
      await field.setValue(v);
      vi.advanceTimersByTime(150);
    }
    await field.trigger('blur');
    await w.get('#param-c-filters').setValue('64');
    expect(s.history.depth).toBe(2);
    s.graph.undo();
    expect(s.graph.graph.nodes[1].params.filters).toBe(320);
    s.graph.undo();
    expect(s.graph.graph.nodes[1].params.filters).toBe(16);
  });

  it('sets booleans, choices and same padding', async () => {
    const { s, w } = mountFor();
    s.selection.set({ nodes: ['c'], edges: [] });
    await w.vm.$nextTick();
    await w.get('#param-c-bias').setValue(false);
    await w.get('#param-c-init').setValue('glorot');
    await w.get('[data-param="padding"] .same input').setValue(true);
    expect(s.graph.graph.nodes[1].params).toMatchObject({ bias: false, init: 'glorot', padding: 'same' });
    expect(w.get('[data-testid="inspector-shape"]').text()).toBe('16×28×28');
    expect(w.text()).toContain('400'); // no bias: 16·25
  });

  it('renames a node', async () => {
    const { s, w } = mountFor();
    s.selection.set({ nodes: ['r'], edges: [] });
    await w.vm.$nextTick();
    await w.get('#name-r').setValue('act 1');
    expect(s.graph.graph.nodes[2].name).toBe('act 1');
  });

  it("shows a node's error", async () => {
    const { s, w } = mountFor(
      chain(['x', 'input', { channels: 1, height: 4, width: 4 }], ['c', 'conv2d', { kernelH: 5 }]),
    );
    s.selection.set({ nodes: ['c'], edges: [] });
    await w.vm.$nextTick();
    expect(w.get('[data-testid="inspector-error"]').text()).toMatch(
      /^node 'c' \(Conv2D\): the 5-pixel window is larger/,
    );
  });

  it('shows, as a notice and not an error, the rows and columns a window leaves unread', async () => {
    const { s, w } = mountFor(chain(['x', 'input', { channels: 1, height: 7, width: 7 }], ['p', 'maxpool2d', {}]));
    s.selection.set({ nodes: ['p'], edges: [] });
    await w.vm.$nextTick();
    expect(w.find('[data-testid="inspector-error"]').exists()).toBe(false);
    expect(w.get('[data-testid="inspector-shape"]').text()).toMatch(/1\D+3\D+3/);
    expect(w.get('[data-testid="inspector-notice"]').text()).toMatch(
      /^node 'p' \(MaxPool\): output height floor\(\(7 \+ 2×0 − 2\)\/2\) \+ 1 = 3.*the last 1 row and the last 1 column/,
    );
  });

  it('describes a selected edge and the shape it carries', async () => {
    const { s, w } = mountFor();
    s.selection.set({ nodes: [], edges: ['c:0>r:0'] });
    await w.vm.$nextTick();
    expect(w.text()).toContain("From 'c' (Conv2D)");
    expect(w.text()).toContain('Carries 16×24×24 per example.');
  });
});
