import type { WeightSpec } from './layers/types';
import type { Rng } from './rng';
import { tensor, type Tensor } from './tensor';

/**
 * He (Kaiming) normal: N(0, 2/fanIn), keeps the variance of ReLU activations steady layer to layer.
 * Glorot (Xavier) uniform: U(±√(6/(fanIn + fanOut))), for sigmoid/tanh and output layers.
 */
export function initWeight(spec: WeightSpec, rng: Rng): Tensor {
  const t = tensor(spec.shape);
  const d = t.data;
  switch (spec.init) {
    case 'zeros':
      break;
    case 'ones':
      d.fill(1);
      break;
    case 'he': {
      const std = Math.sqrt(2 / spec.fanIn);
      for (let i = 0; i < d.length; i++) d[i] = rng.normal() * std;
      break;
    }
    case 'glorot': {
      const limit = Math.sqrt(6 / (spec.fanIn + spec.fanOut));
      for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-limit, limit);
      break;
    }
  }
  return t;
}
