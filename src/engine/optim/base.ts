import type { Parameter } from '../network';
import type { Optimizer, OptimizerConfig, OptimizerState } from './types';

/**
 * What every optimizer shares: per-parameter slots (velocity, moments) kept by name, weight decay,
 * and skipping non-trainable tensors. A subclass supplies only its update rule.
 */
export abstract class BaseOptimizer implements Optimizer {
  protected t = 0;
  protected slots: Record<string, Float32Array[]> = {};

  constructor(
    readonly config: OptimizerConfig,
    private readonly slotCount: number,
  ) {}

  /** w ← w − update, elementwise; g already includes weight decay. */
  protected abstract update(w: Float32Array, g: Float32Array, slots: Float32Array[], lr: number): void;

  step(params: readonly Parameter[], learningRate = this.config.learningRate): void {
    this.t++;
    const wd = this.config.weightDecay ?? 0;
    for (const p of params) {
      if (!p.trainable) continue;
      let g = p.grad.data;
      if (wd !== 0) {
        g = g.slice();
        for (let i = 0; i < g.length; i++) g[i] += wd * p.value.data[i];
      }
      let s = this.slots[p.name];
      if (!s) s = this.slots[p.name] = Array.from({ length: this.slotCount }, () => new Float32Array(g.length));
      this.update(p.value.data, g, s, learningRate);
    }
  }

  getState(): OptimizerState {
    const slots: Record<string, Float32Array[]> = {};
    for (const [k, v] of Object.entries(this.slots)) slots[k] = v.map((a) => a.slice());
    return { step: this.t, slots };
  }

  setState(s: OptimizerState): void {
    this.t = s.step;
    this.slots = {};
    for (const [k, v] of Object.entries(s.slots)) this.slots[k] = v.map((a) => a.slice());
  }
}
