import type { OptimizerConfig } from '../../engine';
import type { Graph } from '../../shared/graph';
import type { AugmentOptions, ResizeMode } from '../datasets';

/** What the user sets before a run. */
export interface Hyperparameters {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerConfig;
  /** Weights, shuffling, the validation split, augmentation and dropout all derive from it. */
  seed: number;
  /** Stop after this many epochs without a better validation accuracy (0: never stop early). */
  patience: number;
  /** Worker threads (default: the machine's cores). */
  threads?: number;
}

/** Where the images come from and how they become the model's input. */
export interface DataSettings {
  /** An image folder; null for the built-in sample. */
  root: string | null;
  /** Share of each class held out for validation when the folder has no val/ split (default 0.2). */
  validationFraction?: number;
  resize?: ResizeMode;
  augment?: AugmentOptions;
  /** Bytes of decoded images kept in memory; past it, batches stream from disk. */
  cacheBytes?: number;
}

export interface SessionConfig {
  graph: Graph;
  data: DataSettings;
  hyper: Hyperparameters;
  /** Written atomically at the end of every epoch, when given; a stopped or crashed run resumes from it. */
  checkpointPath?: string;
}

/** Progress after every step. */
export interface StepEvent {
  epoch: number;
  /** 1-based within the epoch, and the epoch's number of steps. */
  step: number;
  steps: number;
  globalStep: number;
  loss: number;
  imagesPerSecond: number;
  /** Seconds until the last epoch ends, from the recent pace. */
  etaSeconds: number;
}

/** One finished epoch. */
export interface EpochEvent {
  epoch: number;
  globalStep: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
  seconds: number;
  imagesPerSecond: number;
  /** True when this epoch's validation accuracy is the best so far (its weights are kept). */
  best: boolean;
}

/** How a run ended. */
export type SessionEnd =
  | { status: 'finished'; epochs: number }
  | { status: 'early-stopped'; epochs: number; reason: string }
  | { status: 'stopped'; epochs: number }
  | { status: 'diverged'; epochs: number; reason: string };
