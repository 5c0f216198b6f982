import { compileGraph, type Examples } from '../../src/engine';
import { openFolder, TensorData, TrainingSession, type SessionOptions } from '../../src/host/session';
import type { PoolPlan } from '../../src/host/training';
import type { TrainingPlan } from '../../src/shared/api';
import type { Graph } from '../../src/shared/graph';
import {
  DEFAULT_DATA_SETTINGS,
  DEFAULT_HYPERPARAMETERS,
  type DataSettings,
  type Hyperparameters,
} from '../../src/shared/training';

/** Plans as the Api carries them, built from the app's defaults and what a test changes. */

/** What a TrainingPool runs: the graph, and the default hyperparameters with the test's changes. */
export function poolPlan(graph: Graph, hyper: Partial<Hyperparameters> = {}): PoolPlan {
  return { graph, hyper: { ...DEFAULT_HYPERPARAMETERS, ...hyper } };
}

/** What a TrainingSession runs: as poolPlan, with the default data settings (no augmentation) and the test's changes. */
export function trainingPlan(
  graph: Graph,
  hyper: Partial<Hyperparameters> = {},
  data: Partial<DataSettings> = {},
): TrainingPlan {
  return {
    ...poolPlan(graph, hyper),
    data: { ...DEFAULT_DATA_SETTINGS, augment: { ...DEFAULT_DATA_SETTINGS.augment }, ...data },
  };
}

/** Where and how a test's session runs, besides its graph and its examples. */
export type SessionExtras = Omit<SessionOptions, 'compiled' | 'data'>;

/** Class names '0', '1', … for examples labelled 0..n-1. */
export function classNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

/** A session over examples in memory (TensorData), the plan's graph compiled here as the app compiles it. */
export function tensorSession(
  plan: TrainingPlan,
  data: { train: Examples; validation: Examples; classes: readonly string[] },
  extras: SessionExtras = {},
): Promise<TrainingSession> {
  const compiled = compileGraph(plan.graph);
  const examples = new TensorData(data.train, data.validation, data.classes);
  return TrainingSession.open(plan, { compiled, data: examples, ...extras });
}

/** A session on the built-in sample, opened as the app and the command line open an image folder. */
export function sampleSession(plan: TrainingPlan, extras: SessionExtras = {}): Promise<TrainingSession> {
  const compiled = compileGraph(plan.graph);
  return TrainingSession.open(plan, { compiled, data: openFolder(plan, compiled, { root: null }), ...extras });
}
