import { tensor, type Shape, type Tensor } from '../tensor';
import type { LayerDef, Params } from './types';

/**
 * Types a layer file's definition against its own params interface, then erases P for the registry.
 * The registry resolves params against `def.params` before any call, so the erasure is safe.
 */
export function defineLayer<P extends Params>(def: LayerDef<P>): LayerDef {
  return def as unknown as LayerDef;
}

type Allocating = { alloc?(shape: Shape, zeroed?: boolean): Tensor };

/** A zero-filled tensor from the network's recycled buffers when it offers them (ForwardArgs.alloc), else a new one. */
export function allocate(args: Allocating, shape: Shape): Tensor {
  return args.alloc ? args.alloc(shape) : tensor(shape);
}

/**
 * As allocate, for an array the layer writes whole before anything reads it (a kernel's output): a recycled
 * buffer keeps the previous step's values instead of being zero-filled first. Zero-filling every output and
 * input gradient was 6% of a training step's time. Anything that adds into the array must use allocate.
 */
export function allocateOverwritten(args: Allocating, shape: Shape): Tensor {
  return args.alloc ? args.alloc(shape, false) : tensor(shape);
}
