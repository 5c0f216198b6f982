/** Progress after every step. */
export interface StepEvent {
  epoch: number;
  /** 1-based within the epoch, and the epoch's number of steps. */
  step: number;
  steps: number;
  globalStep: number;
  loss: number;
  /** The rate this step used (the plan's, or its schedule's for this step). */
  learningRate: number;
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
