import type { LayerDef, Params } from './types';

/**
 * Types a layer file's definition against its own params interface, then erases P for the registry.
 * The registry resolves params against `def.params` before any call, so the erasure is safe.
 */
export function defineLayer<P extends Params>(def: LayerDef<P>): LayerDef {
  return def as unknown as LayerDef;
}
