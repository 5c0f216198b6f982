/**
 * Progress counts at most once per interval, and always the last (done === total): a scan reports every file
 * probed, thousands a second, and the window only needs a few updates a second to move its bar.
 */
export function throttleProgress<P extends { done: number; total: number }>(
  send: (p: P) => void,
  intervalMs = 100,
): (p: P) => void {
  let last = -Infinity;
  return (p) => {
    const now = performance.now();
    if (p.done < p.total && now - last < intervalMs) return;
    last = now;
    send(p);
  };
}
