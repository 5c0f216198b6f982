import { Adam } from './adam';
import { Momentum } from './momentum';
import { Sgd } from './sgd';
import type { Optimizer, OptimizerConfig, OptimizerKind } from './types';

export { learningRateAt, type LrSchedule } from './schedule';
export type { Optimizer, OptimizerConfig, OptimizerKind, OptimizerState } from './types';

const optimizers: Record<OptimizerKind, new (c: OptimizerConfig) => Optimizer> = {
  sgd: Sgd,
  momentum: Momentum,
  adam: Adam,
};

export const OPTIMIZER_KINDS = Object.keys(optimizers) as OptimizerKind[];

export function createOptimizer(config: OptimizerConfig): Optimizer {
  const Ctor = optimizers[config.kind];
  if (!Ctor) throw new Error(`unknown optimizer '${String(config.kind)}'; choose ${OPTIMIZER_KINDS.join(', ')}`);
  return new Ctor(config);
}
