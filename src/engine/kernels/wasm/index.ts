import { WasmArena } from './arena';
import { instantiateKernels, supportsRelaxedSimd, supportsSimd, type WasmVariant } from './module';
import { bindKernels, type WasmKernels } from './wasm-kernels';

export { supportsRelaxedSimd, supportsSimd, type WasmVariant } from './module';
export type { WasmKernels } from './wasm-kernels';

export interface WasmKernelOptions {
  /**
   * Which build to run. 'auto' (the default) takes the relaxed-SIMD build, with fused multiply-add, where the
   * runtime validates it, and the plain SIMD build elsewhere.
   */
  variant?: WasmVariant | 'auto';
}

function chooseVariant(wanted: WasmVariant | 'auto'): WasmVariant {
  if (!supportsSimd()) {
    throw new Error('wasm kernels: this runtime has no WebAssembly 128-bit SIMD; keep the reference kernels');
  }
  if (wanted === 'auto') return supportsRelaxedSimd() ? 'relaxed-simd' : 'simd';
  if (wanted === 'relaxed-simd' && !supportsRelaxedSimd()) {
    throw new Error(
      "wasm kernels: variant 'relaxed-simd' asked for, but this runtime has no WebAssembly relaxed SIMD" +
        ' (Node 20 needs --experimental-wasm-relaxed-simd); use "simd" or "auto"',
    );
  }
  return wanted;
}

/**
 * The engine's hot loops (GEMM, convolution forward and both backward passes through im2col + GEMM, max and average
 * pooling) on WebAssembly 128-bit SIMD, built from ./assembly by `npm run build:wasm`. Each call returns a backend
 * with its own module instance and memory; install it for every layer with `useKernels(await createWasmKernels())`.
 * Works in Node, worker threads and browsers alike: the module comes from a generated TypeScript file, not from disk.
 */
export async function createWasmKernels(options: WasmKernelOptions = {}): Promise<WasmKernels> {
  const variant = chooseVariant(options.variant ?? 'auto');
  const exports = await instantiateKernels(variant);
  return bindKernels(exports, new WasmArena(exports.memory, exports.scratchBase()), variant);
}
