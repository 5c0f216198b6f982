import type { Metric } from '../../shared/project';

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

/** A metric as a number for charts: NaN and infinities become NaN's neighbours that charts leave out (null). */
export function metricValue(m: Metric | null | undefined): number | null {
  if (m === null || m === undefined || typeof m === 'string') return null;
  return Number.isFinite(m) ? m : null;
}

/** A count with thousands separators. */
export const formatCount = (n: number): string => n.toLocaleString('en');
