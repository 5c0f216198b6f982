// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, listLayers, type LayerDef } from '../../src/engine';
import PalettePanel from '../../src/renderer/editor/palette/PalettePanel.vue';
import { bestMatch, paletteGroups } from '../../src/renderer/editor/palette/palette';

describe('the palette, generated from the layer registry', () => {
  it('lists every registered layer exactly once, in its category, categories in the engine order', () => {
    const groups = paletteGroups();
    const types = groups.flatMap((g) => g.layers.map((l) => l.type));
    expect(types.sort()).toEqual(
      listLayers()
        .map((l) => l.type)
        .sort(),
    );
    for (const g of groups) for (const l of g.layers) expect(l.category).toBe(g.category);
    const order = groups.map((g) => CATEGORIES.indexOf(g.category));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(groups.map((g) => g.title)).toContain('Convolution');
  });

  it('shows a new layer by itself, in its category', () => {
    const extra = { ...listLayers().find((l) => l.type === 'relu')!, type: 'gelu', label: 'GELU' } as LayerDef;
    const groups = paletteGroups('', [...listLayers(), extra]);
    expect(groups.find((g) => g.category === 'activation')!.layers.map((l) => l.label)).toContain('GELU');
  });

  it('searches labels, types and categories, ignoring case, and leaves out empty groups', () => {
    expect(paletteGroups('POOL').flatMap((g) => g.layers.map((l) => l.label))).toEqual([
      'MaxPool',
      'AvgPool',
      'GlobalAvgPool',
      'GlobalMaxPool',
    ]);
    expect(paletteGroups('relu').flatMap((g) => g.layers.map((l) => l.label))).toEqual(['ReLU', 'ReLU6', 'Leaky ReLU']);
    expect(paletteGroups('activation leaky').flatMap((g) => g.layers.map((l) => l.type))).toEqual(['leaky_relu']);
    expect(paletteGroups('no such layer')).toEqual([]);
  });

  it('puts a name match before a category match', () => {
    expect(paletteGroups('dense').flatMap((g) => g.layers.map((l) => l.label))).toEqual(['Dense', 'Flatten']);
    expect(bestMatch('dense')?.type).toBe('dense');
    expect(bestMatch('pool')?.type).toBe('maxpool2d');
    expect(bestMatch('leaky')?.type).toBe('leaky_relu');
    expect(bestMatch('nothing here')).toBeNull();
  });
});

describe('PalettePanel', () => {
  it('renders a button per layer with its help as a tooltip, and filters as you type', async () => {
    const w = mount(PalettePanel);
    expect(w.findAll('button.entry')).toHaveLength(listLayers().length);
    expect(w.get('[data-layer="sigmoid"]').attributes('title')).toMatch(/vanishes/);
    await w.get('[data-testid="palette-search"]').setValue('conv');
    expect(w.findAll('button.entry').map((b) => b.text())).toEqual(['Conv2D']);
    await w.get('[data-testid="palette-search"]').setValue('zzz');
    expect(w.text()).toContain('No layer matches “zzz”.');
  });

  it('asks to append on double-click, and on Enter in the search box for the best match', async () => {
    const w = mount(PalettePanel);
    await w.get('[data-layer="maxpool2d"]').trigger('dblclick');
    await w.get('[data-testid="palette-search"]').setValue('dense');
    await w.get('[data-testid="palette-search"]').trigger('keydown', { key: 'Enter' });
    expect(w.emitted('append')).toEqual([['maxpool2d'], ['dense']]);
  });

  it('drags an entry: a ghost follows the pointer and the drop point is reported', async () => {
    const w = mount(PalettePanel, { attachTo: document.body });
    await w.get('[data-layer="conv2d"]').trigger('pointerdown', { button: 0, clientX: 20, clientY: 30 });
    window.dispatchEvent(new PointerEvent('pointermove', { clientX: 22, clientY: 31 }));
    await w.vm.$nextTick();
    expect(w.find('[data-testid="palette-ghost"]').exists()).toBe(false); // still a click
    window.dispatchEvent(new PointerEvent('pointermove', { clientX: 300, clientY: 200 }));
    await w.vm.$nextTick();
    expect(w.get('[data-testid="palette-ghost"]').text()).toBe('Conv2D');
    window.dispatchEvent(new PointerEvent('pointerup', { clientX: 310, clientY: 210 }));
    await w.vm.$nextTick();
    expect(w.emitted('drop')).toEqual([['conv2d', 310, 210]]);
    expect(w.find('[data-testid="palette-ghost"]').exists()).toBe(false);
    w.unmount();
  });

  it('does not report a drop for a plain click', async () => {
    const w = mount(PalettePanel, { attachTo: document.body });
    await w.get('[data-layer="relu"]').trigger('pointerdown', { button: 0, clientX: 20, clientY: 30 });
    window.dispatchEvent(new PointerEvent('pointerup', { clientX: 20, clientY: 30 }));
    expect(w.emitted('drop')).toBeUndefined();
    w.unmount();
  });
});
