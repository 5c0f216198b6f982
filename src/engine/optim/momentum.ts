import { BaseOptimizer } from './base';
import type { OptimizerConfig } from './types';

/** SGD with momentum (PyTorch's form): v = μ·v + g, w = w − lr · v. */
export class Momentum extends BaseOptimizer {
  constructor(config: OptimizerConfig) {
    super(config, 1);
  }
  protected update(w: Float32Array, g: Float32Array, [v]: Float32Array[], lr: number): void {
    const mu = this.config.momentum ?? 0.9;
    for (let i = 0; i < w.length; i++) {
      v[i] = mu * v[i] + g[i];
      w[i] -= lr * v[i];
    }
  }
}
