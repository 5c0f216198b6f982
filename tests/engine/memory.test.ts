import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  analyseGraph,
  checkMemory,
  compileGraph,
  estimateMemory,
  MemoryError,
  Network,
  setMemoryLimit,
  type MemoryEstimate,
} from '../../src/engine';
import { parseGraph } from '../../src/shared/graph';
import { chain } from '../helpers/graphs';

const lenet5 = parseGraph(
  JSON.parse(readFileSync(join(import.meta.dirname, '../../resources/templates/lenet5.json'), 'utf8')),
  'lenet5.json',
);

const GiB = 1024 ** 3;

/** 64×4096×4096 inputs into 932 units: 1,000,727,380,900 weights, a 1 KB graph that would need 8 TB. */
const trillion = chain(
  ['x', 'input', { channels: 64, height: 4096, width: 4096, vector: true }],
  ['fc', 'dense', { units: 932 }],
);
const TRILLION_WEIGHTS = 64 * 4096 * 4096 * 932 + 932; // 1,000,727,380,900

/** 4096×4096 inputs into 256 units: 2^32 weights (4.29 billion), each tensor still one JavaScript can allocate. */
const billions = chain(
  ['x', 'input', { channels: 1, height: 4096, width: 4096, vector: true }],
  ['fc', 'dense', { units: 256 }],
);

/** A 3×4096×4096 image through 64 3×3 filters, 'same' padding: 64×4096×4096 numbers per image. */
const bigImage = chain(
  ['x', 'input', { channels: 3, height: 4096, width: 4096 }],
  ['conv', 'conv2d', { filters: 64, padding: 'same' }],
  ['relu', 'relu'],
);

/**
 * Runs fn with every Float32Array construction recorded, and returns the longest one: the refusals must come
 * before any tensor of the graph's size is allocated, not after an allocation fails.
 */
function largestFloat32ArrayDuring(fn: () => void): number {
  const Original = globalThis.Float32Array;
  let largest = 0;
  class Recording extends Original {
    constructor(...args: unknown[]) {
      super(...(args as []));
      largest = Math.max(largest, this.length);
    }
  }
  globalThis.Float32Array = Recording as Float32ArrayConstructor;
  try {
    fn();
  } finally {
    globalThis.Float32Array = Original;
  }
  return largest;
}

afterEach(() => setMemoryLimit(null));

describe('the memory estimate', () => {
  it("adds up LeNet-5's weights, gradients, Adam's two slots and activations from its shapes", () => {
    const g = compileGraph(lenet5);
    const e = estimateMemory(g, { batchSize: 32, training: true, optimizer: 'adam', threads: 2 });
    expect(e.parameters).toBe(61_706);
    expect(e.weightBytes).toBe(61_706 * 4);
    expect(e.gradientBytes).toBe(61_706 * 4 * 2);
    expect(e.optimizerBytes).toBe(61_706 * 4 * 2);
    // 15,796 numbers per image (the status bar's figure), forward and backward, × 32 × 4 bytes.
    expect(e.activationBytes).toBe(15_796 * 2 * 32 * 4);
    expect(e.totalBytes).toBe(e.weightBytes + e.gradientBytes + e.optimizerBytes + e.activationBytes);
    const inference = estimateMemory(g);
    expect(inference.optimizerBytes).toBe(0);
    expect(inference.activationBytes).toBe(15_796 * 4);
    expect(estimateMemory(g, { training: true, optimizer: 'sgd' }).optimizerBytes).toBe(0);
  });

  it('counts a trillion weights exactly, past 2^32 and without wrapping', () => {
    // compileGraph refuses it (one tensor is past what JavaScript allocates); the analysis still compiles it.
    const e = estimateMemory(analyseGraph(trillion).compiled!, { training: true, optimizer: 'adam' });
    expect(e.parameters).toBe(TRILLION_WEIGHTS);
    expect(e.weightBytes).toBe(TRILLION_WEIGHTS * 4);
    // Weights, one gradient and two Adam slots at 4 bytes each, and the activations with their gradients.
    expect(e.totalBytes).toBe(TRILLION_WEIGHTS * 16 + (64 * 4096 * 4096 + 932) * 2 * 4);
    expect(e.dominant?.id).toBe('fc');
  });
});

describe('graphs that cannot fit are refused before anything is allocated', () => {
  it('refuses a 1e12-weight graph at compile time and in new Network, naming the node and the figure', () => {
    setMemoryLimit(24 * GiB);
    let error: unknown;
    const largest = largestFloat32ArrayDuring(() => {
      try {
        new Network(trillion);
      } catch (e) {
        error = e;
      }
    });
    expect(error).toBeInstanceOf(MemoryError);
    expect((error as MemoryError).nodeId).toBe('fc');
    expect((error as Error).message).toMatch(/node 'fc' \(Dense\)/);
    expect((error as Error).message).toMatch(/1,000,727,380,900 weights/);
    expect(largest).toBeLessThan(1_000_000);
    expect(() => compileGraph(trillion)).toThrow(MemoryError);
  });

  it('refuses a tensor longer than JavaScript allocates even when no machine limit is set', () => {
    const largest = largestFloat32ArrayDuring(() => {
      expect(() => new Network(trillion)).toThrow(/larger than the biggest array JavaScript can allocate/);
    });
    expect(largest).toBeLessThan(1_000_000);
  });

  it('refuses a 4.29-billion-weight graph against 24 GB, with its figure and the machine memory', () => {
    setMemoryLimit(24 * GiB);
    const largest = largestFloat32ArrayDuring(() => {
      // Weights 16 GB and their gradients 16 GB: 32 GB, against 24 GB.
      expect(() => new Network(billions)).toThrow(
        /needs about 32 GB to run at batch 1 \(weights 16 GB, gradients 16 GB, activations 64 MB\), more than this machine's 24 GB of memory; node 'fc' \(Dense\) takes 32 GB of it with 4,294,967,552 weights/,
      );
    });
    expect(largest).toBeLessThan(1_000_000);
  });

  it('refuses a 3×4096×4096 input with 64 filters at batch 32 with its figure, and takes it at batch 1 on a large machine', () => {
    const g = compileGraph(bigImage);
    let refused: MemoryError | null = null;
    try {
      checkMemory(g, { batchSize: 32, training: true, optimizer: 'adam' }, 24 * GiB);
    } catch (e) {
      refused = e as MemoryError;
    }
    expect(refused).toBeInstanceOf(MemoryError);
    // (3 + 64 + 64) × 4096² numbers per image, forward and backward, × 32 × 4 bytes = 524 GB.
    const e: MemoryEstimate = refused!.estimate;
    expect(e.activationBytes).toBe(131 * 4096 * 4096 * 2 * 32 * 4);
    expect(refused!.message).toMatch(/needs about 524 GB to train at batch 32 .*activations 524 GB/);
    expect(refused!.message).toMatch(/node 'conv' \(Conv2D\)/);
    expect(checkMemory(g, { batchSize: 1, training: true }, 64 * GiB).totalBytes).toBeLessThan(64 * GiB);
  });
});
