import { afterAll, beforeAll, expect, it } from 'vitest';
import { kernels, referenceKernels, useKernels } from '../../src/engine';
import { createWasmKernels } from '../../src/engine/kernels/wasm';

/**
 * Runs a whole test file's suites on the WebAssembly kernels: call this at the top level of a file, then import the
 * file whose suites should run (they register in the importing file, so these root-level hooks cover them). That
 * file keeps testing the reference kernels on its own; the importing file tests the same cases on WebAssembly.
 */
export function onWasmKernels(): void {
  beforeAll(async () => {
    useKernels(await createWasmKernels());
  });
  afterAll(() => {
    useKernels(referenceKernels);
  });
  it('runs on the WebAssembly kernels', () => {
    expect(kernels().name).toMatch(/^wasm-/);
  });
}
