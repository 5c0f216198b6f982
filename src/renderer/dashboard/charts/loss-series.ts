import { Decimator } from './decimator';

/** Default weight of the past in the smoothed line (TensorBoard's default is 0.6–0.9; the step loss is noisy). */
export const DEFAULT_SMOOTHING = 0.9;

/**
 * Every step's loss of a run, kept whole (points are never dropped), with an exponential moving average beside it
 * and a decimated copy for drawing. Not reactive on purpose: a store holds it raw and bumps a counter, so that Vue
 * does not watch 100,000 numbers.
 */
export class LossSeries {
  private xs = new Float64Array(1024);
  private ys = new Float64Array(1024);
  private n = 0;
  private ema = 0;
  private emaSteps = 0;
  private decimator: Decimator;

  constructor(
    private smoothing = DEFAULT_SMOOTHING,
    private readonly maxBuckets = 2048,
  ) {
    this.decimator = new Decimator(maxBuckets);
  }

  get length(): number {
    return this.n;
  }

  /** The first and the last loss, as plotted. */
  get first(): number | null {
    return this.n > 0 ? this.ys[0] : null;
  }

  get last(): number | null {
    return this.n > 0 ? this.ys[this.n - 1] : null;
  }

  /** The smoothed loss at the last step. */
  get lastSmoothed(): number | null {
    return this.emaSteps > 0 ? this.debiased() : null;
  }

  /** Adds one step. A loss that is not a finite number (a diverged step) is not drawn. */
  add(step: number, loss: number | null): void {
    if (loss === null || !Number.isFinite(loss)) return;
    if (this.n === this.xs.length) {
      this.xs = grow(this.xs);
      this.ys = grow(this.ys);
    }
    this.xs[this.n] = step;
    this.ys[this.n] = loss;
    this.n++;
    this.decimator.add(step, loss, this.smooth(loss));
  }

  /** Changes the smoothing (0: none, towards 1: heavier) and redraws the smoothed line from the raw points. */
  setSmoothing(smoothing: number): void {
    if (!(smoothing >= 0 && smoothing < 1)) throw new RangeError(`smoothing must be in [0, 1), got ${smoothing}`);
    this.smoothing = smoothing;
    this.ema = 0;
    this.emaSteps = 0;
    this.decimator = new Decimator(this.maxBuckets);
    for (let i = 0; i < this.n; i++) this.decimator.add(this.xs[i], this.ys[i], this.smooth(this.ys[i]));
  }

  clear(): void {
    this.n = 0;
    this.ema = 0;
    this.emaSteps = 0;
    this.decimator.clear();
  }

  /** What the chart draws: steps, raw losses and smoothed losses, at most two points per bucket. */
  display(): [number[], number[], number[]] {
    const { x, y, s } = this.decimator.points();
    return [x, y, s];
  }

  /**
   * The EMA with its start-up bias removed: after t steps the plain average has only weighed 1 − α^t of the data,
   * so it is divided by that (without it the line would start near 0 instead of near the first loss).
   */
  private smooth(loss: number): number {
    this.ema = this.smoothing * this.ema + (1 - this.smoothing) * loss;
    this.emaSteps++;
    return this.debiased();
  }

  private debiased(): number {
    const weight = 1 - this.smoothing ** this.emaSteps;
    return weight > 0 ? this.ema / weight : this.ema;
  }
}

function grow(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
