import { referenceKernels } from './reference';
import type { Kernels } from './types';

export type { ConvGeometry, Kernels, NormGeometry, PoolGeometry, ReluGate } from './types';
export type { AdamStep } from './update';

let active: Kernels = referenceKernels;

/** The kernels every layer calls. The reference TypeScript kernels until a faster backend is installed. */
export function kernels(): Kernels {
  return active;
}

/** Installs a backend (for example the WebAssembly SIMD kernels); returns the previous one. */
export function useKernels(k: Kernels): Kernels {
  const prev = active;
  active = k;
  return prev;
}

export { referenceKernels };
