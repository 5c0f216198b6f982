/**
 * Learning-rate schedules: the rate an optimizer step uses, from the step's place in the run. A run's last steps
 * at a small rate settle the weights into the minimum the large early steps found: on the full Fashion-MNIST,
 * finishing at a lower rate was worth about a point of test accuracy, and a cosine decay does it in one run.
 */
/** The same names as the Api's ScheduleKind (src/shared/training.ts), which the session passes here. */
export type LrSchedule = 'constant' | 'cosine';

/**
 * The rate for step `step` (0-based) of a run of `total` steps that starts at `base`:
 * - constant: base, every step;
 * - cosine: base · ½(1 + cos(π · step / total)), from base at the first step down towards 0 at the last
 *   (Loshchilov & Hutter's SGDR without restarts). Steps past the end keep the last rate, never 0 or less.
 */
export function learningRateAt(schedule: LrSchedule, base: number, step: number, total: number): number {
  if (schedule === 'constant' || total <= 1) return base;
  const f = Math.min(Math.max(step, 0), total - 1) / total;
  return base * 0.5 * (1 + Math.cos(Math.PI * f));
}
