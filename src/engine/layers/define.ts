import { tensor, type Shape, type Tensor } from '../tensor';
import type { LayerDef, Params } from './types';

/**
 * Types a layer file's definition against its own params interface, then erases P for the registry.
 * The registry resolves params against `def.params` before any call, so the erasure is safe.
 */
export function defineLayer<P extends Params>(def: LayerDef<P>): LayerDef {
  return def as unknown as LayerDef;
}

/** A zero-filled tensor from the network's recycled buffers when it offers them (ForwardArgs.alloc), else a new one. */
export function allocate(args: { alloc?(shape: Shape): Tensor }, shape: Shape): Tensor {
  return args.alloc ? args.alloc(shape) : tensor(shape);
}
