import type { z } from 'zod';
import { Hyperparameters, type OptimizerKind, type ScheduleKind } from '../../../shared/training';

/** The hyperparameters typed as numbers (the optimizer is chosen from a list). */
export type NumericHyper = Exclude<keyof Hyperparameters, 'optimizer' | 'schedule'>;

export interface HyperField {
  key: NumericHyper;
  label: string;
  help: string;
  /** Only shown for these optimizers. */
  only?: readonly OptimizerKind[];
}

/** The hyperparameter panel's number fields, in order. */
export const HYPER_FIELDS: readonly HyperField[] = [
  { key: 'epochs', label: 'Epochs', help: 'Passes over the training images.' },
  { key: 'batchSize', label: 'Batch size', help: 'Images per optimizer step.' },
  {
    key: 'learningRate',
    label: 'Learning rate',
    help: 'Size of each step down the gradient. Try 10 to see divergence.',
  },
  { key: 'momentum', label: 'Momentum', help: 'Share of the last step carried into the next.', only: ['momentum'] },
  { key: 'weightDecay', label: 'Weight decay', help: 'L2 penalty pulling every weight towards 0.' },
  {
    key: 'labelSmoothing',
    label: 'Label smoothing',
    help: 'Share of each training label spread over all classes, so the network is not pushed to certainty (0: off; 0.1 is usual).',
  },
  { key: 'seed', label: 'Seed', help: 'The same seed gives the same run on this machine.' },
  {
    key: 'patience',
    label: 'Early stopping',
    help: 'Stop after this many epochs without a better validation accuracy (0: never).',
  },
];

export const SCHEDULE_LABELS: Record<ScheduleKind, string> = {
  constant: 'Constant',
  cosine: 'Cosine decay',
};

export const OPTIMIZER_LABELS: Record<OptimizerKind, string> = {
  sgd: 'SGD',
  momentum: 'SGD with momentum',
  adam: 'Adam',
};

/**
 * A number as typed into a field: what the text means, or why it means nothing. Empty text and text that is not a
 * number are said so; everything else is left to the field's schema, whose message names the allowed range.
 */
export function parseTyped(text: string, schema: z.ZodType<number>): { value: number } | { error: string } {
  const t = text.trim();
  if (t === '') return { error: 'required' };
  // Number('') is 0 and Number('0x10') is 16: only plain decimal notation counts as typed.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return { error: 'not a number' };
  const r = schema.safeParse(Number(t));
  return r.success ? { value: r.data } : { error: r.error.issues[0]?.message ?? 'not allowed' };
}

/** The schema of one hyperparameter, from the one the host checks with. */
export const schemaOf = (key: NumericHyper) => Hyperparameters.shape[key] as z.ZodType<number>;
