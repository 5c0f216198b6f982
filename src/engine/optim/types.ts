import type { Parameter } from '../network';

export type OptimizerKind = 'sgd' | 'momentum' | 'adam';

export interface OptimizerConfig {
  kind: OptimizerKind;
  learningRate: number;
  /** Momentum coefficient μ (momentum only). */
  momentum?: number;
  /** Adam's decay rates and ε. */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** L2 penalty λ: the gradient gains λ·w before the step. */
  weightDecay?: number;
}

/** Optimizer state by parameter name, so that a checkpoint can resume exactly. */
export interface OptimizerState {
  step: number;
  slots: Record<string, Float32Array[]>;
}

export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Updates every trainable parameter from its grad, at `learningRate` when given (a schedule's) or the config's. */
  step(params: readonly Parameter[], learningRate?: number): void;
  getState(): OptimizerState;
  setState(s: OptimizerState): void;
}
