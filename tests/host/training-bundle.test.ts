import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng, tensor } from '../../src/engine';
import { TrainingPool } from '../../src/host/training';
import { chain } from '../helpers/graphs';
import { poolPlan } from '../helpers/plan';

/**
 * The built app runs the worker as bundled JavaScript, with no TypeScript loader: bundle worker.ts the way a
 * build does (one ES module, the WebAssembly kernels as a lazily imported chunk) and train with it.
 */
const out = mkdtempSync(join(tmpdir(), 'convas-worker-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the training worker as a bundle', () => {
  it('starts without a TypeScript loader, loads the WebAssembly kernels and trains', async () => {
    await build({
      configFile: false,
      logLevel: 'warn',
      build: {
        ssr: fileURLToPath(new URL('../../src/host/training/worker.ts', import.meta.url)),
        outDir: out,
        minify: false,
        target: 'node20',
        rollupOptions: { output: { format: 'es', entryFileNames: 'training-worker.js' } },
      },
    });
    const rng = new Rng(1);
    const x = tensor([16, 1, 8, 8]);
    for (let i = 0; i < x.data.length; i++) x.data[i] = rng.normal();
    const labels = Int32Array.from({ length: 16 }, () => rng.int(3));
    const s = await TrainingPool.create(
      poolPlan(
        chain(
          ['x', 'input', { channels: 1, height: 8, width: 8 }],
          ['c', 'conv2d', { filters: 4 }],
          ['f', 'flatten'],
          ['d', 'dense', { units: 3 }],
        ),
        { optimizer: 'sgd', learningRate: 0.1 },
      ),
      { threads: 2, workerScript: pathToFileURL(join(out, 'training-worker.js')) },
    );
    try {
      expect(s.kernels).toBe('wasm-simd');
      expect(s.notice).toBeUndefined();
      const first = await s.step(x, labels);
      for (let i = 0; i < 20; i++) await s.step(x, labels);
      expect(await s.step(x, labels)).toBeLessThan(first);
    } finally {
      await s.close();
    }
  });
});
