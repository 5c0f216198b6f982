import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/engine/formats';
import { reluChain } from '../helpers/onnx-chain';

/**
 * Issue 15, item 5: import was quadratic in repeated node names (40,000 nodes sharing one name took 122 s). The
 * time is measured in bench/onnx-import.bench.ts; here the largest graphs are simply run through.
 */
describe('ONNX import of very large graphs whose nodes share one name', () => {
  it('imports a 9,999-node chain (the most a Convas graph holds, with its input) with ids same, same_2, …', () => {
    const { graph } = importOnnx(reluChain(9_999));
    const ids = graph.nodes.map((n) => n.id);
    expect(ids.length).toBe(10_000);
    expect(new Set(ids).size).toBe(10_000);
    expect(ids.slice(0, 4)).toEqual(['x', 'same', 'same_2', 'same_3']);
    expect(ids[9_999]).toBe('same_9999');
  });

  it('refuses a 100,000-node chain, naming the limit', () => {
    expect(() => importOnnx(reluChain(100_000))).toThrow(
      /ONNX node 'same' \(Relu\): the network has more than 10,000 layers, more than a Convas graph holds/,
    );
  });
});
