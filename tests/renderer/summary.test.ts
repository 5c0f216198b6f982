import { describe, expect, it } from 'vitest';
import { nodeText } from '../../src/renderer/editor/canvas/node-text';
import { formatBytes, formatCount, formatLarge } from '../../src/renderer/editor/format';
import { nodeSummary } from '../../src/renderer/editor/summary';
import type { GraphNode } from '../../src/shared/graph';
import { freshStores, template } from './setup';

const node = (type: string, params: GraphNode['params'] = {}): GraphNode => ({
  id: 'n',
  type,
  params,
  position: { x: 0, y: 0 },
});

describe("a node's key parameters", () => {
  it('reads like the usual shorthand', () => {
    expect(nodeSummary(node('conv2d', { filters: 16, kernelH: 5, kernelW: 5, stride: 1, padding: 2 }))).toBe(
      '16@5×5 s1 p2',
    );
    expect(nodeSummary(node('conv2d', { padding: 'same' }))).toBe('8@3×3 s1 same');
    expect(nodeSummary(node('maxpool2d'))).toBe('2×2 s2 p0');
    expect(nodeSummary(node('dense', { units: 120 }))).toBe('120 units');
    expect(nodeSummary(node('input', { channels: 3, height: 32, width: 32 }))).toBe('RGB 32×32');
    expect(nodeSummary(node('input', { channels: 4, height: 8, width: 8 }))).toBe('4 channels 8×8');
    expect(nodeSummary(node('input', { vector: true }))).toBe('grayscale 28×28, flat');
    expect(nodeSummary(node('dropout'))).toBe('rate 0.5');
    expect(nodeSummary(node('leaky_relu'))).toBe('a=0.01');
    expect(nodeSummary(node('relu'))).toBe('');
  });

  it('mentions the other choices only when they differ from the default', () => {
    expect(nodeSummary(node('dense', { units: 10, init: 'glorot', bias: false }))).toBe(
      '10 units no bias initialisation glorot',
    );
    expect(nodeSummary(node('batchnorm', { momentum: 0.2 }))).toBe('momentum 0.2');
  });

  it('is empty for an unknown type rather than failing', () => {
    expect(nodeSummary(node('lstm'))).toBe('');
  });
});

describe("a node's lines on the canvas", () => {
  it('shows shape and parameter count, or the error without repeating the node name', () => {
    const s = freshStores(template('lenet5'));
    const conv1 = s.graph.graph.nodes.find((n) => n.id === 'conv1')!;
    expect(nodeText(conv1, s.graph.metrics.nodes.get('conv1'))).toEqual({
      title: 'Conv2D',
      name: 'conv1',
      summary: '6@5×5 s1 p2',
      info: '6×28×28 · 156 params',
      error: null,
    });
    const relu1 = s.graph.graph.nodes.find((n) => n.id === 'relu1')!;
    expect(nodeText(relu1, s.graph.metrics.nodes.get('relu1')).info).toBe('6×28×28');
    const fc1 = s.graph.graph.nodes.find((n) => n.id === 'fc1')!;
    expect(nodeText(fc1, s.graph.metrics.nodes.get('fc1')).info).toBe('120 · 48,120 params');
    const big = { shape: [4096], error: null, notice: null, params: 1_234_567, macs: 0 };
    expect(nodeText(node('dense'), big).info).toBe('4096 · 1.2 M params');
    const bad = {
      node: node('conv2d'),
      m: { shape: null, error: "node 'n' (Conv2D): has no input; connect", notice: null, params: 0, macs: 0 },
    };
    expect(nodeText(bad.node, bad.m)).toMatchObject({ info: '⚠ has no input; connect', error: bad.m.error });
  });
});

describe('number formats', () => {
  it('prints counts, large figures and bytes', () => {
    expect(formatCount(61706)).toBe('61,706');
    expect(formatLarge(416520)).toBe('417 k');
    expect(formatLarge(2_100_000)).toBe('2.1 M');
    expect(formatLarge(950)).toBe('950');
    expect(formatBytes(15796 * 4 * 32)).toBe('1.9 MB');
    expect(formatBytes(512)).toBe('512 B');
  });
});
