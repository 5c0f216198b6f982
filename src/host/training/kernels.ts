import { referenceKernels, useKernels } from '../../engine';
import type { KernelChoice } from './messages';

/** The backend a worker installed, and why it is not the preferred one when it is not. */
export interface InstalledKernels {
  name: string;
  notice?: string;
}

/**
 * Installs the kernels this worker's layers will call: the WebAssembly SIMD kernels when they load, else the
 * reference TypeScript kernels with a notice saying why. They are imported lazily so that a worker asked for
 * the reference kernels, or running where WebAssembly SIMD is missing (or before `npm run build:wasm` made
 * their generated module), still starts. Never throws.
 */
export async function installKernels(choice: KernelChoice): Promise<InstalledKernels> {
  if (choice === 'reference') {
    useKernels(referenceKernels);
    return { name: referenceKernels.name };
  }
  try {
    const { createWasmKernels } = await import('../../engine/kernels/wasm/index');
    const k = await createWasmKernels();
    useKernels(k);
    return { name: k.name };
  } catch (e) {
    useKernels(referenceKernels);
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return {
      name: referenceKernels.name,
      notice: `WebAssembly SIMD kernels unavailable (${why}); training uses the slower reference TypeScript kernels`,
    };
  }
}
