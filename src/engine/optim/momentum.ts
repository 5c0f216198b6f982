import { kernels } from '../kernels';
import { BaseOptimizer } from './base';
import type { OptimizerConfig } from './types';

/** SGD with momentum (PyTorch's form): v = μ·v + g, w = w − lr · v. The loop is the kernels' (kernels/update.ts). */
export class Momentum extends BaseOptimizer {
  constructor(config: OptimizerConfig) {
    super(config, 1);
  }
  protected update(w: Float32Array, g: Float32Array, [v]: Float32Array[], lr: number): void {
    kernels().momentumUpdate(w, g, v, lr, this.config.momentum ?? 0.9);
  }
}
