import type { EpochRecord, Metric } from '../../../shared/project';
import { metricValue } from '../format';

/** A run to draw per epoch: this window's current one, or an earlier one from the project's history. */
export interface EpochRun {
  label: string;
  epochs: readonly EpochRecord[];
  /** Earlier runs are drawn dashed and show validation only. */
  earlier: boolean;
}

export type EpochMetric = 'loss' | 'accuracy';

/** One line of an epoch chart. */
export interface EpochLine {
  label: string;
  values: (number | null)[];
  kind: 'train' | 'validation';
  earlier: boolean;
}

const pick = (e: EpochRecord, metric: EpochMetric, validation: boolean): Metric | undefined =>
  metric === 'loss' ? (validation ? e.valLoss : e.loss) : validation ? e.valAccuracy : e.accuracy;

/**
 * Lines of an epoch chart, aligned on epochs 1…N (uPlot wants one x array for all): the current run's training and
 * validation values, and each earlier run's validation values. A missing epoch or a NaN is a gap.
 */
export function epochLines(runs: readonly EpochRun[], metric: EpochMetric): { x: number[]; lines: EpochLine[] } {
  const last = Math.max(0, ...runs.flatMap((r) => r.epochs.map((e) => e.epoch)));
  const x = Array.from({ length: last }, (_, i) => i + 1);
  const lines: EpochLine[] = [];
  for (const run of runs) {
    for (const validation of run.earlier ? [true] : [false, true]) {
      const values = new Array<number | null>(last).fill(null);
      for (const e of run.epochs) {
        const v = metricValue(pick(e, metric, validation));
        if (e.epoch >= 1) values[e.epoch - 1] = v;
      }
      lines.push({
        label: `${run.label} ${validation ? 'validation' : 'training'}`,
        values,
        kind: validation ? 'validation' : 'train',
        earlier: run.earlier,
      });
    }
  }
  return { x, lines };
}
