/**
 * When a finite loss counts as divergence. A learning rate of 1e6 with Adam gave finite losses of 1e21 to 7.8e34
 * and a 10%-accuracy model saved as a success, and SGD at 1,000 (the app's largest rate) a mean loss of 400 at 10%:
 * not being NaN is not enough. A step is refused (nothing updated)
 * when its loss is above
 *
 *   min(CEILING, FACTOR × max(first, 1))
 *
 * where `first` is the loss of the run's first step (the untrained network's, about ln(classes) for
 * cross-entropy: 2.3 for 10 classes, so a bound of about 230). A cross-entropy of 100 means the right class
 * gets a probability below e^-100: nothing a learning network passes through. The floor of 1 keeps the bound
 * at 100 or more when a run starts from trained weights with a small loss, and the ceiling of 1e6 holds when
 * the first loss is itself huge (a badly scaled network); before the first step, the ceiling alone applies.
 */
export const DIVERGENCE_FACTOR = 100;
export const DIVERGENCE_CEILING = 1e6;

/** The largest loss a step may have, given the run's first loss (null before the first step). */
export function lossBound(first: number | null): number {
  if (first === null || !Number.isFinite(first)) return DIVERGENCE_CEILING;
  return Math.min(DIVERGENCE_CEILING, DIVERGENCE_FACTOR * Math.max(first, 1));
}

/** Why a step's loss was refused, for the run's stop message. */
export function divergenceCause(loss: number, first: number | null): string {
  if (!Number.isFinite(loss)) return `the loss became ${loss}`;
  const bound = lossBound(first);
  return bound === DIVERGENCE_CEILING
    ? `the loss became ${loss.toPrecision(3)}, above ${DIVERGENCE_CEILING.toExponential()}`
    : `the loss became ${loss.toPrecision(3)}, more than ${DIVERGENCE_FACTOR.toLocaleString('en-US')} times the run's first (${first!.toPrecision(3)})`;
}
