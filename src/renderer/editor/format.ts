/** Numbers as the canvas and the status bar print them. */

/** 44426 → '44,426'. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 2_100_000 → '2.1 M'; small numbers stay whole. */
export function formatLarge(n: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, unit] of units) {
    if (n >= size) return `${(n / size).toFixed(n / size < 10 ? 1 : 0)} ${unit}`;
  }
  return String(Math.round(n));
}

/** Bytes in binary units: 1_990_000 → '1.9 MB' (MiB, as operating systems show memory). */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

/** [16, 28, 28] → '16×28×28'. */
export function formatShape(shape: readonly number[]): string {
  return shape.join('×');
}
