import { z } from 'zod';

/** JSON has no NaN or Infinity; a diverged run keeps them as their names so that the UI shows NaN, not null. */
export const Metric = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);
export type Metric = z.infer<typeof Metric>;

/** A number as a Metric: finite numbers stay numbers, the rest become their names. */
export function toMetric(v: number): Metric {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** One epoch of a training run, as the charts plot it. */
export const EpochRecord = z.strictObject({
  epoch: z.int().min(0),
  /** Optimizer steps taken since the run started, at the end of this epoch. */
  step: z.int().min(0),
  loss: Metric,
  accuracy: Metric.optional(),
  valLoss: Metric.optional(),
  valAccuracy: Metric.optional(),
  seconds: z.number().min(0).optional(),
});
export type EpochRecord = z.infer<typeof EpochRecord>;
