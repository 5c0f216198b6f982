import type { LossKind, OptimizerConfig } from '../../engine';
import type { TrainingPlan } from '../../shared/api';
import type { Hyperparameters } from '../../shared/training';

/**
 * The part of a TrainingPlan a pool and its workers read: the graph and the hyperparameters (seed, optimizer,
 * learning rate, momentum, weight decay). The data settings stay with the session that feeds the batches.
 */
export type PoolPlan = Pick<TrainingPlan, 'graph' | 'hyper'>;

/** The engine's optimizer for the user's hyperparameters: the one place the plan becomes an optimizer. */
export function optimizerOf(hyper: Hyperparameters): OptimizerConfig {
  return {
    kind: hyper.optimizer,
    learningRate: hyper.learningRate,
    momentum: hyper.momentum,
    weightDecay: hyper.weightDecay,
  };
}

/** Sessions train classifiers; a pool made for other losses (the seed's worked examples use MSE) says so. */
export const DEFAULT_LOSS: LossKind = 'cross_entropy';
