import { kernels } from '../kernels';
import { BaseOptimizer } from './base';
import type { OptimizerConfig } from './types';

/**
 * Adam (Kingma & Ba): m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g², and
 * w = w − lr · m̂ / (√v̂ + ε) with the bias corrections m̂ = m/(1−β1^t), v̂ = v/(1−β2^t).
 * The loop is the kernels' (kernels/update.ts).
 */
export class Adam extends BaseOptimizer {
  constructor(config: OptimizerConfig) {
    super(config, 2);
  }
  protected update(w: Float32Array, g: Float32Array, [m, v]: Float32Array[], lr: number): void {
    const beta1 = this.config.beta1 ?? 0.9;
    const beta2 = this.config.beta2 ?? 0.999;
    const epsilon = this.config.epsilon ?? 1e-8;
    kernels().adamUpdate(w, g, m, v, lr, { beta1, beta2, epsilon, c1: 1 - beta1 ** this.t, c2: 1 - beta2 ** this.t });
  }
}
