// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { setParam } from '../../src/renderer/commands';
import StatusBar from '../../src/renderer/editor/StatusBar.vue';
import { useTrainingStore } from '../../src/renderer/stores/training';
import { chain } from '../helpers/graphs';
import { freshStores, template } from './setup';

describe('the status bar', () => {
  it("shows LeNet-5's parameters, MACs per image and activation memory at the chosen batch", async () => {
    const s = freshStores(template('lenet5'));
    const w = mount(StatusBar);
    expect(w.get('[data-testid="status-params"]').text()).toBe('61,706 params');
    expect(w.get('[data-testid="status-macs"]').text()).toBe('417 k MAC/img');
    // 15,796 numbers per image × 4 bytes × 32 = 2,021,888 bytes
    expect(w.get('[data-testid="status-memory"]').text()).toBe('1.9 MB activations');
    expect(w.get('[data-testid="status-state"]').text()).toBe('✓ graph valid');
    await w.get('input[aria-label="batch size"]').setValue('1');
    expect(s.editor.batchSize).toBe(1);
    expect(w.get('[data-testid="status-memory"]').text()).toBe('62 KB activations');
  });

  it('ignores a batch size that is not a whole number from 1', async () => {
    const s = freshStores(template('lenet5'));
    const w = mount(StatusBar);
    await w.get('input[aria-label="batch size"]').setValue('0');
    await w.get('input[aria-label="batch size"]').setValue('2.5');
    expect(s.editor.batchSize).toBe(32);
  });

  it('counts the problems and lists them on hover, and follows edits', async () => {
    const s = freshStores(template('lenet5'));
    const w = mount(StatusBar);
    s.graph.run(setParam, { node: 'pool2', key: 'size', value: 64 });
    await w.vm.$nextTick();
    const state = w.get('[data-testid="status-state"]');
    expect(state.text()).toBe('✗ 1 problem');
    expect(state.attributes('title')).toMatch(/node 'pool2' \(MaxPool\): the 64-pixel window is larger than the input/);
  });

  it('says when the graph is empty', () => {
    freshStores(chain());
    expect(mount(StatusBar).get('[data-testid="status-state"]').text()).toBe('empty graph');
  });
});

describe('the status bar and the Train view', () => {
  it("shares the Train view's batch size, both ways", async () => {
    const s = freshStores(template('lenet5'));
    const training = useTrainingStore();
    const w = mount(StatusBar);
    training.typed.batchSize = '1';
    await w.vm.$nextTick();
    expect(s.editor.batchSize).toBe(1);
    expect(w.get('[data-testid="status-memory"]').text()).toBe('62 KB activations');
    await w.get('input[aria-label="batch size"]').setValue('64');
    expect(training.typed.batchSize).toBe('64');
    expect(training.hyper?.batchSize).toBe(64);
  });
});
