import { BaseOptimizer } from './base';
import type { OptimizerConfig } from './types';

/**
 * Adam (Kingma & Ba): m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², and
 * w = w − lr · m̂ / (√v̂ + ε) with the bias corrections m̂ = m/(1−β1^t), v̂ = v/(1−β2^t).
 */
export class Adam extends BaseOptimizer {
  constructor(config: OptimizerConfig) {
    super(config, 2);
  }
  protected update(w: Float32Array, g: Float32Array, [m, v]: Float32Array[], lr: number): void {
    const b1 = this.config.beta1 ?? 0.9;
    const b2 = this.config.beta2 ?? 0.999;
    const eps = this.config.epsilon ?? 1e-8;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let i = 0; i < w.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      w[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  }
}
