// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import StatusBar from '../../src/renderer/editor/StatusBar.vue';
import { useProjectStore } from '../../src/renderer/stores/project';
import { chain } from '../helpers/graphs';
import { freshStores, template } from './setup';

const GiB = 1024 ** 3;

/** The machine's memory, as the host's appInfo answers it. */
function machine(bytes: number) {
  useProjectStore().info = { name: 'Convas', version: '0', runtime: 'test', memoryBytes: bytes };
}

describe("the status bar sets the network's memory against the machine's", () => {
  it('shows what training LeNet-5 takes at the chosen batch, of the machine memory, and calls it valid', async () => {
    const s = freshStores(template('lenet5'));
    machine(24 * GiB);
    const w = mount(StatusBar);
    expect(w.get('[data-testid="status-training-memory"]').text()).toMatch(/^\d+(\.\d)? MB to train of 24 GB$/);
    expect(w.get('[data-testid="status-state"]').text()).toBe('✓ graph valid');
    const before = w.get('[data-testid="status-training-memory"]').text();
    s.editor.batchSize = 1024;
    await w.vm.$nextTick();
    expect(w.get('[data-testid="status-training-memory"]').text()).not.toBe(before);
  });

  it('does not call a 4.29-billion-parameter graph valid: it says it is too large, with the figure and the node', () => {
    freshStores(
      chain(['x', 'input', { channels: 1, height: 4096, width: 4096, vector: true }], ['fc', 'dense', { units: 256 }]),
    );
    machine(24 * GiB);
    const w = mount(StatusBar);
    expect(w.get('[data-testid="status-params"]').text()).toBe('4,294,967,552 params');
    const state = w.get('[data-testid="status-state"]');
    expect(state.text()).toBe('✗ too large for memory');
    expect(state.attributes('title')).toMatch(
      /needs about \d+ GB to train at batch 32 \(weights 16 GB, gradients \d+ GB, optimizer state 32 GB, .*more than this machine's 24 GB of memory; node 'fc' \(Dense\)/,
    );
    expect(w.get('[data-testid="status-training-memory"]').classes()).toContain('over');
  });

  it('refuses a tensor past what JavaScript allocates even before the machine memory is known', () => {
    freshStores(
      chain(['x', 'input', { channels: 64, height: 4096, width: 4096, vector: true }], ['fc', 'dense', { units: 932 }]),
    );
    const w = mount(StatusBar);
    expect(w.get('[data-testid="status-state"]').text()).toBe('✗ too large for memory');
    expect(w.get('[data-testid="status-training-memory"]').text()).toMatch(/^\d+(\.\d)? TB to train$/);
  });
});
