import type { Metric } from '../../shared/project';
import type { StartingProgress } from '../../shared/training';

/** A metric as the user reads it: NaN and ±Infinity by name (never "null"), numbers to `digits` decimals. */
export function formatMetric(m: Metric | null | undefined, digits = 3): string {
  if (m === null || m === undefined) return '—';
  if (typeof m === 'string') return m === 'Infinity' ? '∞' : m === '-Infinity' ? '−∞' : m;
  if (Number.isNaN(m)) return 'NaN';
  return m.toFixed(digits);
}

/** A share in [0, 1] as a percentage ("87.5%"); NaN by name. */
export function formatPercent(m: Metric | null | undefined, digits = 1): string {
  if (m === null || m === undefined) return '—';
  if (typeof m === 'string') return m;
  return `${(m * 100).toFixed(digits)}%`;
}

/** Seconds as "42 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** A learning rate to three significant figures, in plain notation down to 0.0001 ("0.00137", then "2.50e-5"). */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate)) return '—';
  return rate >= 1e-4 || rate === 0 ? String(Number(rate.toPrecision(3))) : rate.toExponential(2);
}

/** A metric as a number for charts: NaN and infinities become NaN's neighbours that charts leave out (null). */
export function metricValue(m: Metric | null | undefined): number | null {
  if (m === null || m === undefined || typeof m === 'string') return null;
  return Number.isFinite(m) ? m : null;
}

/** A count with thousands separators. */
export const formatCount = (n: number): string => n.toLocaleString('en');

/** What a starting run is doing, in the words of the run bar (before its first step). */
export function startingSummary(p: StartingProgress | null): string {
  if (!p) return 'Opening the dataset and starting the workers…';
  const count = (n: number) => n.toLocaleString('en');
  switch (p.stage) {
    case 'scanning':
      return `Reading the dataset: ${count(p.done)} of ${count(p.total)} files…`;
    case 'decoding':
      return `Decoding the validation images: ${count(p.done)} of ${count(p.total)}…`;
    case 'workers':
      return p.done < p.total
        ? `Starting ${p.total} training thread${p.total === 1 ? '' : 's'}…`
        : 'Training threads ready…';
  }
}
