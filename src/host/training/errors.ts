import type { DivergedPart } from './messages';

/** The errors a training session raises on the host, besides a graph's own GraphError. */

/** An error raised in a training worker, re-thrown on the host with the worker's message and error name. */
export class TrainingError extends Error {
  override name = 'TrainingError';
  constructor(
    message: string,
    /** The error's class name in the worker (ShapeError, GraphError, PeerFailure, ...). */
    readonly workerError?: string,
    /** The worker's stack, for logs. */
    readonly workerStack?: string,
  ) {
    super(message);
  }
}

/**
 * A step's loss, summed gradient or updated weights were NaN or infinite, or its loss was above the bound the
 * caller set: the run stopped and that step was not applied, so the weights are those from before it.
 */
export class DivergedError extends Error {
  override name = 'DivergedError';
  constructor(
    /** Session-wide step (1-based) that was refused. */
    readonly step: number,
    /** Its loss (NaN or ±Infinity when the loss itself diverged). */
    readonly loss: number,
    /** What was not finite, or 'bound' for a finite loss above `bound`. */
    readonly part: DivergedPart,
    /** The largest loss the step would have taken (Infinity: any finite one). */
    readonly bound = Infinity,
  ) {
    const what = {
      loss: `the loss is ${loss}`,
      bound: `the loss is ${loss}, above the bound of ${bound}`,
      gradient: `the loss is ${loss} but its gradient is not finite`,
      weights: `the loss is ${loss} but the update made some weights infinite`,
    }[part];
    super(
      `training diverged at step ${step}: ${what}. ` +
        `The run stopped and kept the weights from before that step; lower the learning rate.`,
    );
  }
}
