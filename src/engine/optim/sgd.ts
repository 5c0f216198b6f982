import { kernels } from '../kernels';
import { BaseOptimizer } from './base';
import type { OptimizerConfig } from './types';

/** Plain gradient descent exactly as the source text writes it: w = w − lr · dJ/dw. */
export class Sgd extends BaseOptimizer {
  constructor(config: OptimizerConfig) {
    super(config, 0);
  }
  protected update(w: Float32Array, g: Float32Array, _s: Float32Array[], lr: number): void {
    kernels().sgdUpdate(w, g, lr);
  }
}
