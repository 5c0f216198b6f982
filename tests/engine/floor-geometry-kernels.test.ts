import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Network, referenceKernels, Rng, tensor, useKernels, type NamedWeights } from '../../src/engine';
import { createWasmKernels, type WasmKernels } from '../../src/engine/kernels/wasm';
import type { Graph } from '../../src/shared/graph';
import { chain } from '../helpers/graphs';

/**
 * The WebAssembly kernels on the geometries floor rounding, ceil mode and groups bring (windows that stop short of
 * the input's end, windows that hang past it, one call per group): forward and backward through a whole layer equal
 * the reference kernels'. The reference kernels are checked against TF.js in tfjs-oracle.test.ts.
 */
let wasm: WasmKernels;
beforeAll(async () => {
  wasm = await createWasmKernels({ variant: 'simd' });
});
afterEach(() => {
  useKernels(referenceKernels);
});

function run(graph: Graph, shape: number[]): { y: Float32Array; dx: Float32Array; grads: Float32Array[] } {
  const rng = new Rng(5);
  const net = new Network(graph, 3);
  const weights: NamedWeights = {};
  for (const p of net.params)
    weights[p.name] = tensor(
      p.value.shape,
      p.value.data.map(() => rng.normal()),
    );
  net.setWeights(weights);
  const x = tensor(
    shape,
    new Float32Array(shape.reduce((a, b) => a * b)).map(() => rng.normal()),
  );
  const trace = net.forward(x, { training: true });
  const y = net.output(trace);
  net.zeroGrads();
  const dx = net.backward(
    trace,
    tensor(
      y.shape,
      y.data.map((_, i) => Math.sin(i)),
    ),
  );
  return { y: y.data.slice(), dx: dx!.data.slice(), grads: net.params.map((p) => p.grad.data.slice()) };
}

const cases: [string, Record<string, unknown>, number[]][] = [
  ['conv2d', { filters: 8, stride: 2 }, [3, 2, 8, 8]], // 3×3 s2 on 8×8: a row and column unread
  ['conv2d', { filters: 4, stride: 2, padding: 1 }, [2, 3, 32, 32]], // ResNet's 16.5 → 16
  ['conv2d', { filters: 8, kernelH: 5, kernelW: 5, stride: 3 }, [2, 4, 14, 13]],
  ['conv2d', { filters: 12, stride: 2, padding: 1, groups: 4 }, [2, 4, 9, 9]], // depthwise, multiplier 3
  ['conv2d', { filters: 6, groups: 2, padding: 1 }, [2, 4, 7, 7]],
  ['maxpool2d', {}, [2, 3, 7, 7]], // 7 → 3
  ['maxpool2d', { ceil: true }, [2, 3, 9, 11]], // 9 → 5, 11 → 6: the 2×2 windows hang past the end
  ['avgpool2d', { ceil: true }, [2, 3, 9, 10]],
  ['avgpool2d', { size: 3, stride: 2, ceil: true }, [2, 3, 8, 8]],
];

describe('the WebAssembly kernels on floored, ceil-mode and grouped windows', () => {
  cases.forEach(([type, params, shape]) => {
    it(`${type} ${JSON.stringify(params)} on [${shape.join(',')}] equals the reference kernels`, () => {
      const graph = chain(
        ['x', 'input', { channels: shape[1], height: shape[2], width: shape[3] }],
        ['l', type, params as Record<string, number | boolean>],
      );
      useKernels(referenceKernels);
      const want = run(graph, shape);
      useKernels(wasm);
      const got = run(graph, shape);
      const close = (a: Float32Array, b: Float32Array) =>
        a.every((v, i) => Math.abs(v - b[i]) <= 1e-4 * Math.max(1, Math.abs(b[i])));
      expect(got.y.length).toBe(want.y.length);
      expect(close(got.y, want.y)).toBe(true);
      expect(close(got.dx, want.dx)).toBe(true);
      got.grads.forEach((g, i) => expect(close(g, want.grads[i])).toBe(true));
    });
  });
});
